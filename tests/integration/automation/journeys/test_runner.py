"""The runner on SQLite and PostgreSQL: idempotent per (customer, journey, step), waits,
conditions and branches, holdout, guards, the switch, and version pinning."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kizuna.automation.journeys import runner
from kizuna.automation.journeys.enrol import enrol
from kizuna.automation.journeys.hooks import on_order_recorded
from kizuna.automation.journeys.models import Enrolment, StepProgress
from kizuna.automation.journeys.store import do_publish, do_set_enabled, load
from kizuna.automation.journeys.triggers import Entry
from kizuna.automation.models import ExperimentAssignment
from kizuna.channels.models import OutboxMessage
from kizuna.customers.service import do_flag_problem, do_set_consent
from kizuna.loyalty.models import PointEntry

from .factories import NOON, add_customers, add_order, days, hours, switch_on

SPLIT: dict[str, Any] = {
    "key": "split_test",
    "name": "分岐テスト",
    "trigger": {"type": "order_placed"},
    "holdout_share": 0.0,
    "enabled": True,
    "steps": [
        {
            "type": "branch",
            "id": "ab",
            "mode": "random",
            "paths": [{"goto": "mail_a", "weight": 1}, {"goto": "mail_b", "weight": 1}],
        },
        {
            "type": "action",
            "id": "mail_a",
            "action": "send_message",
            "next": "wait",
            "params": {"template": "welcome"},
        },
        {
            "type": "action",
            "id": "mail_b",
            "action": "send_message",
            "params": {"template": "welcome"},
        },
        {"type": "wait", "id": "wait", "days": 3},
        {
            "type": "condition",
            "id": "no_order",
            "condition": {"type": "not_ordered_since_enrolment", "params": {"min_orders": 2}},
        },
        {"type": "action", "id": "points", "action": "grant_points", "params": {"points": 50}},
    ],
}


def _outbox(session: Session) -> list[tuple[str, str]]:
    stmt = select(OutboxMessage.dedupe_key, OutboxMessage.status).order_by(OutboxMessage.id)
    return [tuple(r) for r in session.execute(stmt)]  # type: ignore[misc]


def _progress(session: Session, key: str) -> list[tuple[int, str, str]]:
    stmt = (
        select(StepProgress.customer_id, StepProgress.step_id, StepProgress.outcome)
        .where(StepProgress.journey_key == key)
        .order_by(StepProgress.id)
    )
    return [tuple(r) for r in session.execute(stmt)]  # type: ignore[misc]


def _count(session: Session, model: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


class TestIdempotency:
    def test_rerunning_a_tick_or_a_hook_changes_nothing(self, session: Session) -> None:
        # given the welcome journey and a first order
        [cid] = add_customers(session, 1)
        switch_on(session, "welcome", holdout=0.0)
        order = add_order(session, cid, NOON)
        # when the hook runs twice and the runner ticks again at the same moment
        first = on_order_recorded(session, order.id, at=NOON + hours(0.1))
        again = on_order_recorded(session, order.id, at=NOON + hours(0.1))
        tick = runner.tick(session, at=NOON + hours(0.2))
        # then one enrolment, one message, one progress row per step reached
        assert (first.enrolled, len(first.pending)) == ({"welcome": 1}, 1)
        assert (again.enrolled, again.pending, tick.advanced) == ({"welcome": 0}, [], 0)
        assert _outbox(session) == [(f"j:welcome:thanks.once:{cid}", "pending")]
        assert _progress(session, "welcome") == [
            (cid, "thanks", "queued"),
            (cid, "two_weeks", "waited"),
        ]

    def test_advancing_an_enrolment_that_is_not_due_does_nothing(self, session: Session) -> None:
        [cid] = add_customers(session, 1)
        switch_on(session, "welcome", holdout=0.0)
        on_order_recorded(session, add_order(session, cid, NOON).id, at=NOON)
        [enrolment] = session.scalars(select(Enrolment)).all()
        report = runner.advance(session, [enrolment.id], at=NOON + days(13))
        assert (report.advanced, enrolment.step) == (0, "not_yet_again")
        assert _count(session, StepProgress) == 2

    def test_a_second_first_order_never_enrols_again(self, session: Session) -> None:
        [cid] = add_customers(session, 1)
        switch_on(session, "welcome", holdout=0.0)
        on_order_recorded(session, add_order(session, cid, NOON).id, at=NOON)
        second = on_order_recorded(
            session, add_order(session, cid, NOON + days(1)).id, at=NOON + days(1)
        )
        assert second.enrolled == {"welcome": 0}
        assert _count(session, Enrolment) == 1


class TestWaitsConditionsBranches:
    def test_wait_then_condition_then_action_in_later_ticks(self, session: Session) -> None:
        # given two customers in the welcome journey; one buys again within the two weeks
        a, b = add_customers(session, 2)
        switch_on(session, "welcome", holdout=0.0)
        for cid in (a, b):
            on_order_recorded(session, add_order(session, cid, NOON).id, at=NOON)
        add_order(session, b, NOON + days(3))
        # when the runner ticks before and after the wait
        early = runner.tick(session, at=NOON + days(14) - hours(1))
        late = runner.tick(session, at=NOON + days(14))
        # then only the one who did not buy again gets the recommendation
        assert (early.advanced, late.advanced) == (0, 2)
        assert _outbox(session)[-1] == (f"j:welcome:recommend.once:{a}", "pending")
        rows = {(c, s): o for c, s, o in _progress(session, "welcome")}
        assert rows[(a, "not_yet_again")] == "yes" and rows[(b, "not_yet_again")] == "no"
        assert rows[(a, "recommend")] == "queued" and (b, "recommend") not in rows
        exits = dict(session.execute(select(Enrolment.customer_id, Enrolment.exit_reason)).all())
        assert exits == {a: "completed", b: "condition:not_yet_again"}

    def test_random_split_is_stable_per_customer_and_next_skips_ahead(
        self, session: Session
    ) -> None:
        ids = add_customers(session, 40)
        do_publish(session, SPLIT, actor="test")
        for cid in ids:
            on_order_recorded(session, add_order(session, cid, NOON).id, at=NOON)
        paths = {c: s for c, s, o in _progress(session, "split_test") if s.startswith("mail_")}
        assert set(paths.values()) == {"mail_a", "mail_b"}
        assert 8 <= list(paths.values()).count("mail_a") <= 32
        # both paths reach the wait (mail_a jumps over mail_b with ``next``)
        waited = [c for c, s, _ in _progress(session, "split_test") if s == "wait"]
        assert sorted(waited) == sorted(ids)
        runner.tick(session, at=NOON + days(3))
        points = session.scalars(select(PointEntry.customer_id)).all()
        assert sorted(points) == sorted(ids)


class TestHoldoutAndGuards:
    def test_the_holdout_gets_nothing_and_is_logged(self, session: Session) -> None:
        # given a journey with a 50 % holdout (points and a message)
        ids = add_customers(session, 60)
        do_publish(session, {**SPLIT, "holdout_share": 0.5}, actor="test")
        # when 60 customers order
        for cid in ids:
            on_order_recorded(session, add_order(session, cid, NOON).id, at=NOON)
        runner.tick(session, at=NOON + days(3))
        # then every customer has a logged arm; the held-out ones got no message and no points
        arms = dict(
            session.execute(
                select(ExperimentAssignment.customer_id, ExperimentAssignment.arm).where(
                    ExperimentAssignment.experiment == "journey:split_test"
                )
            ).all()
        )
        held = {c for c, arm in arms.items() if arm == "holdout"}
        assert len(arms) == 60 and 15 <= len(held) <= 45
        messaged = {int(k.rsplit(":", 1)[1]) for k, _ in _outbox(session)}
        assert messaged == set(ids) - held
        assert set(session.scalars(select(PointEntry.customer_id))) == set(ids) - held
        exits = dict(session.execute(select(Enrolment.customer_id, Enrolment.exit_reason)).all())
        assert {c for c, r in exits.items() if r == "holdout"} == held

    def test_problem_customers_and_missing_consent_are_dropped_by_the_guards(
        self, session: Session
    ) -> None:
        ok, problem, withdrawn = add_customers(session, 3)
        do_flag_problem(session, problem, reason="abusive calls", actor="support@shop")
        do_set_consent(session, withdrawn, "email", False, source="support")
        switch_on(session, "welcome", holdout=0.0)
        for cid in (ok, problem, withdrawn):
            on_order_recorded(session, add_order(session, cid, NOON).id, at=NOON)
        outcomes = {c: o for c, s, o in _progress(session, "welcome") if s == "thanks"}
        assert outcomes == {
            ok: "queued",
            problem: "dropped:problem_customer",
            withdrawn: "dropped:no_consent:email",
        }
        statuses = dict(
            session.execute(select(OutboxMessage.customer_id, OutboxMessage.reason)).all()
        )
        assert statuses == {ok: None, problem: "problem_customer", withdrawn: "no_consent:email"}


class TestSwitchAndVersions:
    def test_switching_off_stops_enrolments_at_their_next_step(self, session: Session) -> None:
        [cid] = add_customers(session, 1)
        switch_on(session, "welcome", holdout=0.0)
        on_order_recorded(session, add_order(session, cid, NOON).id, at=NOON)
        do_set_enabled(session, "welcome", False, actor="marketer@shop")
        runner.tick(session, at=NOON + days(15))
        [enrolment] = session.scalars(select(Enrolment)).all()
        assert (enrolment.status, enrolment.exit_reason) == ("done", "journey_off")
        assert len(_outbox(session)) == 1

    def test_enrolments_keep_the_version_they_entered_with(self, session: Session) -> None:
        [a, b] = add_customers(session, 2)
        switch_on(session, "welcome", holdout=0.0)
        on_order_recorded(session, add_order(session, a, NOON).id, at=NOON)
        doc = load(session, "welcome").journey
        shorter = doc.model_copy(update={"steps": doc.steps[:1]})
        assert do_publish(session, shorter, actor="marketer@shop").version == 3
        entry = Entry(b, "once", NOON, NOON)
        assert enrol(session, load(session, "welcome"), [entry], at=NOON) == 1
        runner.tick(session, at=NOON + days(15))
        versions = dict(
            session.execute(select(Enrolment.customer_id, Enrolment.journey_version)).all()
        )
        assert versions == {a: 2, b: 3}
        assert sorted(k for k, _ in _outbox(session)) == [
            f"j:welcome:recommend.once:{a}",
            f"j:welcome:thanks.once:{a}",
            f"j:welcome:thanks.once:{b}",
        ]
