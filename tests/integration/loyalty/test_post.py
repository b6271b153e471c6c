"""Posting verbs on SQLite and PostgreSQL: earn, redeem, hold → capture/release, adjust, expire;
idempotent replays; lots consumed by earliest expiry; bad input refused with named fields."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.kit.errors import KizunaError, NotFound
from kizuna.loyalty.errors import (
    AdjustmentRefused,
    HoldExpired,
    HoldNotActive,
    HoldNotFound,
    IdempotencyKeyReused,
    InsufficientPoints,
    InvalidPoints,
    RedemptionLimit,
)
from kizuna.loyalty.ledger import post
from kizuna.loyalty.ledger.balance import balance, history, points_liability, verify_ledger
from kizuna.loyalty.ledger.models import PointEntry, PointLot, PointMovement
from kizuna.loyalty.programme import default_programme
from kizuna.loyalty.versions import do_publish_programme

from .factories import T0, days, member


def lots_of(session: Session, customer_id: int) -> list[tuple[int, int]]:
    rows = session.execute(
        select(PointLot.points, PointLot.remaining)
        .where(PointLot.customer_id == customer_id)
        .order_by(PointLot.id)
    )
    return [tuple(r) for r in rows]


class TestEarn:
    def test_earning_opens_a_lot_expiring_at_the_end_of_the_month_a_year_on(
        self, session: Session
    ) -> None:
        cid = member(session)
        result = post.do_earn(session, cid, 120, key="survey:1", reason="survey", at=T0)
        assert (result.points, result.balance, result.replayed) == (120, 120, False)
        lot = session.scalars(select(PointLot)).one()
        # earned 2026-05-10 JST → valid through 2027-05-31 JST → expires 2027-05-31 15:00 UTC
        assert lot.expires_at.isoformat() == "2027-05-31T15:00:00+00:00"
        assert verify_ledger(session) == []

    def test_replaying_the_same_key_changes_nothing(self, session: Session) -> None:
        cid = member(session)
        first = post.do_earn(session, cid, 100, key="k1", reason="survey", at=T0)
        again = post.do_earn(session, cid, 100, key="k1", reason="survey", at=T0 + days(1))
        assert again.replayed and again.entry_id == first.entry_id and again.balance == 100
        assert session.scalar(select(PointEntry.id).where(PointEntry.id > first.entry_id)) is None

    def test_a_key_reused_for_a_different_request_is_a_conflict(self, session: Session) -> None:
        cid = member(session)
        post.do_earn(session, cid, 100, key="k1", reason="survey", at=T0)
        with pytest.raises(IdempotencyKeyReused) as err:
            post.do_earn(session, cid, 101, key="k1", reason="survey", at=T0)
        assert err.value.field == "idempotency_key" and err.value.http_status == 409

    @pytest.mark.parametrize(
        "points", [0, -5, 1.5, "10", True], ids=["zero", "neg", "float", "str", "bool"]
    )
    def test_points_must_be_a_positive_whole_number(self, session: Session, points) -> None:
        cid = member(session)
        with pytest.raises(InvalidPoints) as err:
            post.do_earn(session, cid, points, key="k", reason="survey", at=T0)
        assert err.value.field == "points"

    def test_unknown_customer_is_not_found(self, session: Session) -> None:
        with pytest.raises(NotFound) as err:
            post.do_earn(session, 999_999, 10, key="k", reason="survey", at=T0)
        assert err.value.field == "customer_id"


class TestRedeem:
    def test_lots_are_consumed_earliest_expiry_first(self, session: Session) -> None:
        cid = member(session)
        late = T0 + timedelta(days=40)  # June → expires a month later than May's lot
        post.do_earn(session, cid, 100, key="late", reason="survey", at=late)
        post.do_earn(session, cid, 50, key="early", reason="survey", at=T0)
        far = T0 + days(1500)
        post.do_earn(session, cid, 30, key="far", reason="survey", at=T0, expires_at=far)
        result = post.do_redeem(session, cid, 70, key="r1", at=late)
        assert result.balance == 110
        # May's lot is emptied first, then June's; the lot expiring in 2030 is untouched
        assert lots_of(session, cid) == [(100, 80), (50, 0), (30, 30)]
        assert verify_ledger(session) == []

    def test_cannot_spend_more_than_the_balance(self, session: Session) -> None:
        cid = member(session)
        post.do_earn(session, cid, 100, key="e", reason="survey", at=T0)
        with pytest.raises(InsufficientPoints) as err:
            post.do_redeem(session, cid, 101, key="r", at=T0)
        assert err.value.field == "points" and "100" in err.value.message

    def test_redemption_limits_come_from_the_programme(self, session: Session) -> None:
        cid = member(session)
        strict = default_programme().model_copy(
            update={
                "redemption": default_programme().redemption.model_copy(
                    update={"min_points": 100, "max_points": 500}
                )
            }
        )
        do_publish_programme(session, strict, author="test", effective_from=T0 - days(1))
        post.do_earn(session, cid, 1000, key="e", reason="survey", at=T0)
        for points in (99, 501):
            with pytest.raises(RedemptionLimit) as err:
                post.do_redeem(session, cid, points, key=f"r{points}", at=T0)
            assert err.value.field == "points"
        assert post.do_redeem(session, cid, 500, key="ok", at=T0).balance == 500

    def test_expired_points_cannot_be_spent(self, session: Session) -> None:
        cid = member(session)
        post.do_earn(session, cid, 100, key="e", reason="survey", at=T0)
        with pytest.raises(InsufficientPoints):
            post.do_redeem(session, cid, 10, key="r", at=T0 + days(800))


class TestHold:
    def test_hold_then_capture_spends_the_points_once(self, session: Session) -> None:
        cid = member(session)
        post.do_earn(session, cid, 300, key="e", reason="survey", at=T0)
        hold = post.do_hold(session, cid, 200, key="h", order_ref="W-1", at=T0)
        assert hold.balance == 100 and hold.hold_id is not None
        assert hold.detail == {"expires_at": "2026-05-10T03:15:00+00:00"}
        captured = post.do_capture(session, hold.hold_id, key="c", at=T0 + timedelta(minutes=5))
        assert (captured.points, captured.balance) == (0, 100)
        again = post.do_capture(session, hold.hold_id, key="c", at=T0 + timedelta(minutes=6))
        assert again.replayed
        with pytest.raises(HoldNotActive):
            post.do_release(session, hold.hold_id, key="rel", at=T0 + timedelta(minutes=7))

    def test_release_gives_back_exactly_the_same_lots(self, session: Session) -> None:
        cid = member(session)
        post.do_earn(session, cid, 50, key="a", reason="survey", at=T0)
        post.do_earn(session, cid, 80, key="b", reason="survey", at=T0 + days(40))
        before = lots_of(session, cid)
        hold = post.do_hold(session, cid, 100, key="h", at=T0 + days(41))
        assert lots_of(session, cid) == [(50, 0), (80, 30)]
        released = post.do_release(session, hold.hold_id, key="rel", at=T0 + days(41))
        assert released.balance == 130 and lots_of(session, cid) == before

    def test_an_expired_hold_cannot_be_captured_and_is_released_by_the_sweep(
        self, session: Session
    ) -> None:
        cid = member(session)
        post.do_earn(session, cid, 100, key="e", reason="survey", at=T0)
        hold = post.do_hold(session, cid, 60, key="h", at=T0)
        with pytest.raises(HoldExpired) as err:
            post.do_capture(session, hold.hold_id, key="c", at=T0 + timedelta(minutes=16))
        assert err.value.field == "hold_id"
        assert balance(session, cid, at=T0 + timedelta(minutes=16)).held == 0
        post.do_expire(session, cid, at=T0 + timedelta(minutes=16))
        assert balance(session, cid, at=T0 + timedelta(minutes=16)).points == 100
        with pytest.raises(HoldExpired):  # still "expired", not merely "released"
            post.do_capture(session, hold.hold_id, key="c2", at=T0 + timedelta(minutes=17))

    def test_unknown_hold(self, session: Session) -> None:
        with pytest.raises(HoldNotFound) as err:
            post.do_capture(session, 424242, key="c", at=T0)
        assert err.value.field == "hold_id"


class TestAdjust:
    def test_adjustment_needs_a_note_and_a_person(self, session: Session) -> None:
        cid = member(session)
        cases = [("", "suzuki", "note"), ("goodwill", "", "actor"), ("goodwill", "system", "actor")]
        for note, actor, field in cases:
            with pytest.raises(AdjustmentRefused) as err:
                post.do_adjust(session, cid, 100, key="a", note=note, actor=actor, at=T0)
            assert err.value.field == field

    def test_adjustments_are_audited_and_cannot_overdraw(self, session: Session) -> None:
        cid = member(session)
        post.do_adjust(session, cid, 500, key="a1", note="お詫び", actor="suzuki@shop", at=T0)
        with pytest.raises(InsufficientPoints):
            post.do_adjust(session, cid, -501, key="a2", note="fix", actor="suzuki@shop", at=T0)
        post.do_adjust(session, cid, -200, key="a3", note="double grant", actor="sato", at=T0)
        rows = history(session, cid)
        assert [(r.kind, r.points, r.actor, r.note) for r in rows] == [
            ("adjust", -200, "sato", "double grant"),
            ("adjust", 500, "suzuki@shop", "お詫び"),
        ]


class TestExpiry:
    def test_due_lots_expire_with_an_entry_each(self, session: Session) -> None:
        cid = member(session)
        post.do_earn(session, cid, 100, key="e1", reason="survey", at=T0)
        post.do_earn(session, cid, 40, key="e2", reason="survey", at=T0 + days(60))
        post.do_redeem(session, cid, 30, key="r", at=T0 + days(61))
        when = T0 + days(400)  # past May 2027's expiry, before July 2027's
        expired = post.do_expire(session, cid, at=when)
        assert len(expired) == 1
        entry = session.get_one(PointEntry, expired[0])
        assert (entry.kind, entry.points, entry.reason) == ("expire", -70, "expiry")
        assert balance(session, cid, at=when).points == 40
        assert post.do_expire(session, cid, at=when) == []
        assert verify_ledger(session) == []

    def test_balance_lists_points_expiring_soon(self, session: Session) -> None:
        cid = member(session)
        post.do_earn(session, cid, 100, key="e1", reason="survey", at=T0)
        view = balance(session, cid, at=T0 + days(360), days_ahead=60)
        assert [(d.isoformat(), p) for d, p in view.expiring] == [("2027-05-31", 100)]
        assert view.as_dict()["yen_value_text"] == "¥100"

    def test_liability_groups_outstanding_points_by_expiry_month(self, session: Session) -> None:
        a, b = member(session, "A"), member(session, "B")
        post.do_earn(session, a, 100, key="a", reason="survey", at=T0)
        post.do_earn(session, b, 50, key="b", reason="survey", at=T0 + days(40))
        liability = points_liability(session, at=T0 + days(41))
        assert (liability.points, liability.yen, liability.customers) == (150, 150, 2)
        assert liability.by_expiry_month == (("2027-05", 100), ("2027-06", 50))


def test_every_error_is_a_kizuna_error_with_a_code(session: Session) -> None:
    cid = member(session)
    with pytest.raises(KizunaError) as err:
        post.do_redeem(session, cid, 5, key="r", at=T0)
    assert err.value.to_dict() == {
        "code": "insufficient_points",
        "message": f"customer #{cid} has 0 points; 5 requested",
        "field": "points",
    }


def test_movements_explain_every_entry(session: Session) -> None:
    cid = member(session)
    post.do_earn(session, cid, 100, key="e", reason="survey", at=T0)
    post.do_redeem(session, cid, 60, key="r", at=T0)
    moves = session.execute(select(PointMovement.entry_id, PointMovement.points)).all()
    assert sorted(p for _, p in moves) == [-60, 100]
