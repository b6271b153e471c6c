"""Member stages: the storefront's "¥3,200 more to Gold by 2027-03-31", promotion on an order,
the grace period before demotion, the lapse date, and the monthly evaluation for everyone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.loyalty.ledger import post
from kizuna.loyalty.models import LoyaltyAccount
from kizuna.loyalty.programme import default_programme
from kizuna.loyalty.stage_eval import evaluate_all_stages, preview_stage_distribution
from kizuna.loyalty.stages import evaluate_stage, next_stage_gap, stage_history, stage_status
from kizuna.loyalty.versions import do_publish_programme

from .factories import days, member, order

NOV = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)  # 2026-11-25 12:00 JST, fiscal year 2026


def jst(y: int, m: int, d: int, h: int = 12) -> datetime:
    return datetime(y, m, d, h, 0, tzinfo=ZoneInfo("Asia/Tokyo")).astimezone(UTC)


class TestStatus:
    def test_the_gap_to_the_next_stage_with_its_deadline(self, session: Session) -> None:
        cid = member(session)
        order(session, "M1", "A-1", 30_000, at=jst(2026, 6, 1))
        order(session, "M1", "A-2", 16_800, at=jst(2026, 10, 1))
        order(session, "M1", "OLD", 90_000, at=jst(2026, 3, 31))  # last fiscal year
        status = stage_status(session, cid, at=NOV)
        assert (status.stage, status.qualifying, status.next_stage, status.gap) == (
            "silver",
            46_800,
            "gold",
            3_200,
        )
        assert status.message["en"] == "¥3,200 more to Gold by 2027-03-31"
        assert status.message["ja"] == "ゴールドまであと¥3,200（2027年3月31日まで）"
        assert next_stage_gap(session, cid, at=NOV, language="en") == status.message["en"]
        assert status.lapse_date is None  # the entry stage never lapses
        assert status.as_dict()["deadline"] == "2027-03-31"

    def test_returns_and_cancellations_do_not_count(self, session: Session) -> None:
        from .factories import give_back

        cid = member(session)
        order(session, "M1", "A-1", 30_000, at=jst(2026, 6, 1))
        order(session, "M1", "A-2", 20_000, at=jst(2026, 6, 2), status="cancelled")
        give_back(session, "A-1", "R-1", 5_000)
        assert stage_status(session, cid, at=NOV).qualifying == 25_000

    def test_the_top_stage_says_so(self, session: Session) -> None:
        cid = member(session)
        order(session, "M1", "A-1", 200_000, at=jst(2026, 6, 1))
        evaluate_stage(session, cid, at=jst(2026, 6, 2))
        status = stage_status(session, cid, at=NOV)
        assert status.stage == "platinum" and status.gap is None
        assert status.message == {
            "ja": "最上位ステージ「プラチナ」です",
            "en": "You are at the top stage, Platinum",
        }


class TestEvaluation:
    def test_an_order_promotes_at_once_and_earns_at_the_new_rate_next_time(
        self, session: Session
    ) -> None:
        cid = member(session)
        first = order(session, "M1", "A-1", 52_000, at=jst(2026, 6, 1))
        post.do_earn_for_order(session, first, at=jst(2026, 6, 1))
        decision = evaluate_stage(session, cid, at=jst(2026, 6, 1), order_id=first)
        assert (decision.stage, decision.reason) == ("gold", "joined")
        second = order(session, "M1", "A-2", 10_000, at=jst(2026, 6, 2))
        earned = post.do_earn_for_order(session, second, at=jst(2026, 6, 2))
        assert earned is not None and earned.points == 200  # Gold: 2%
        assert evaluate_stage(session, cid, at=jst(2026, 6, 2), order_id=second).reason is None
        third = order(session, "M1", "A-3", 100_000, at=jst(2026, 6, 3))
        promoted = evaluate_stage(session, cid, at=jst(2026, 6, 3), order_id=third)
        assert (promoted.stage, promoted.reason) == ("platinum", "promoted")
        history = stage_history(session, cid)
        assert [(h.from_stage, h.to_stage, h.reason, h.order_id) for h in history] == [
            ("gold", "platinum", "promoted", third),
            (None, "gold", "joined", first),
        ]

    def test_grace_period_then_demotion_and_the_predicted_lapse_date(
        self, session: Session
    ) -> None:
        cid = member(session)
        order(session, "M1", "A-1", 60_000, at=jst(2026, 6, 1))
        evaluate_stage(session, cid, at=jst(2026, 6, 1))
        status = stage_status(session, cid, at=NOV)
        # fiscal year ends 2027-03-31; the 1 April evaluation finds them short; +30 days grace
        assert (status.stage, status.lapse_date.isoformat()) == ("gold", "2027-05-01")
        started = evaluate_stage(session, cid, at=jst(2027, 4, 1, 1))
        assert (started.stage, started.reason) == ("gold", "grace_started")
        assert stage_status(session, cid, at=jst(2027, 4, 2)).keep_gap == 50_000
        assert evaluate_stage(session, cid, at=jst(2027, 4, 20)).reason is None
        demoted = evaluate_stage(session, cid, at=jst(2027, 5, 1, 1))
        assert (demoted.stage, demoted.reason) == ("silver", "demoted")
        reasons = [h.reason for h in stage_history(session, cid)]
        assert reasons == ["demoted", "grace_started", "joined"]

    def test_rolling_window_lapse_follows_the_orders(self, session: Session) -> None:
        base = default_programme()
        rolling = base.model_copy(
            update={
                "qualification": base.qualification.model_copy(
                    update={"period": "rolling_months", "months": 12}
                )
            }
        )
        do_publish_programme(session, rolling, author="test", effective_from=jst(2025, 1, 1))
        cid = member(session)
        order(session, "M1", "A-1", 30_000, at=jst(2026, 2, 10))
        order(session, "M1", "A-2", 25_000, at=jst(2026, 7, 1))
        evaluate_stage(session, cid, at=jst(2026, 7, 1))
        status = stage_status(session, cid, at=NOV)
        assert (status.stage, status.qualifying) == ("gold", 55_000)
        # A-1 leaves the window on 2027-02-10 → short → 1 March evaluation + 30 days
        assert status.lapse_date.isoformat() == "2027-03-31"
        assert status.deadline.isoformat() == "2027-02-09"


class TestBulkEvaluation:
    def test_matches_the_per_member_rule_and_counts_changes(self, session: Session) -> None:
        ids = {}
        for n, amount in enumerate([0, 10_000, 60_000, 160_000]):
            ids[n] = member(session, f"M{n}")
            if amount:
                order(session, f"M{n}", f"A-{n}", amount, at=jst(2026, 6, 1))
        guest = member(session, "G", is_member=False)
        run = evaluate_all_stages(session, at=jst(2026, 7, 1))
        assert (run.members, run.joined, run.promoted, run.demoted) == (4, 4, 0, 0)
        stages = dict(
            session.execute(select(LoyaltyAccount.customer_id, LoyaltyAccount.stage)).all()
        )
        assert [stages[ids[n]] for n in range(4)] == ["silver", "silver", "gold", "platinum"]
        assert guest not in stages or stages[guest] is None
        again = evaluate_all_stages(session, at=jst(2027, 4, 1, 1))  # a new fiscal year
        assert (again.grace_started, again.demoted) == (2, 0)
        later = evaluate_all_stages(session, at=jst(2027, 5, 1, 1))
        assert later.demoted == 2
        for n in range(4):
            assert stage_status(session, ids[n], at=jst(2027, 5, 2)).stage == "silver"

    def test_preview_counts_members_per_stage_for_a_draft(self, session: Session) -> None:
        for n, amount in enumerate([10_000, 60_000, 160_000]):
            member(session, f"M{n}")
            order(session, f"M{n}", f"A-{n}", amount, at=jst(2026, 6, 1))
        draft = default_programme()
        assert preview_stage_distribution(session, draft, at=NOV) == {
            "silver": 1,
            "gold": 1,
            "platinum": 1,
        }
        cheaper = draft.model_copy(
            update={
                "stages": [
                    draft.stages[0],
                    draft.stages[1].model_copy(update={"min_qualifying": 5_000}),
                    draft.stages[2],
                ]
            }
        )
        assert preview_stage_distribution(session, cheaper, at=NOV)["gold"] == 2
        assert days(1).days == 1
