"""Returns and cancellations reverse exactly what the order earned and refund what it used;
spent points follow the programme's policy and are never lost silently."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.loyalty.errors import ReturnWithoutOrder
from kizuna.loyalty.ledger import post
from kizuna.loyalty.ledger.balance import balance, verify_ledger
from kizuna.loyalty.ledger.models import PointEntry
from kizuna.loyalty.programme import default_programme
from kizuna.loyalty.versions import do_publish_programme
from kizuna.orders.schemas import LineIn, ReturnIn
from kizuna.orders.service import store_returns

from .factories import T0, days, give_back, member, order

DAY = T0 + days(1)  # the 11th: no ×2 day, so 1% at Silver: ¥10,000 → 100 points


def with_policy(session: Session, **redemption: object) -> None:
    base = default_programme()
    programme = base.model_copy(
        update={"redemption": base.redemption.model_copy(update=redemption)}
    )
    do_publish_programme(session, programme, author="test", effective_from=T0 - days(30))


def earned_order(session: Session, number: str = "A-1", amount: int = 10_000, **kw) -> int:
    order_id = order(session, "M1", number, amount, at=DAY, **kw)
    result = post.do_earn_for_order(session, order_id, at=DAY)
    assert result is not None
    return order_id


class TestReturns:
    def test_a_full_return_reverses_exactly_what_the_order_earned(self, session: Session) -> None:
        cid = member(session)
        earned_order(session)
        assert balance(session, cid, at=DAY).points == 100
        ret = give_back(session, "A-1", "R-1", 10_000)
        result = post.do_reverse_for_return(session, ret, at=DAY + days(3))
        assert (result.reversed_points, result.deducted_points, result.balance) == (100, 0, 0)
        assert verify_ledger(session) == []

    def test_partial_returns_are_pro_rata_and_add_up_exactly(self, session: Session) -> None:
        member(session)
        earned_order(session)
        steps = []
        for n, amount in enumerate((3_333, 3_333, 3_334), start=1):
            ret = give_back(session, "A-1", f"R-{n}", amount)
            steps.append(post.do_reverse_for_return(session, ret, at=DAY + days(n)).reversed_points)
        assert steps == [33, 33, 34]  # floor at each step, exact in total

    def test_replaying_a_return_posts_nothing(self, session: Session) -> None:
        member(session)
        earned_order(session)
        ret = give_back(session, "A-1", "R-1", 5_000)
        first = post.do_reverse_for_return(session, ret, at=DAY + days(3))
        again = post.do_reverse_for_return(session, ret, at=DAY + days(4))
        assert again.replayed and again.entry_ids == first.entry_ids
        assert again.reversed_points == first.reversed_points == 50

    def test_spent_points_are_deducted_from_the_refund_by_default(self, session: Session) -> None:
        cid = member(session)
        earned_order(session)
        post.do_redeem(session, cid, 80, key="spend", at=DAY + days(1))
        ret = give_back(session, "A-1", "R-1", 10_000)
        result = post.do_reverse_for_return(session, ret, at=DAY + days(3))
        assert (result.reversed_points, result.deducted_points) == (20, 80)
        assert result.refund_deduction_yen == 80 and result.balance == 0
        entry = session.scalars(select(PointEntry).where(PointEntry.kind == "reverse_earn")).one()
        assert entry.detail["policy"] == "deduct_from_refund" and entry.deducted_points == 80

    def test_negative_balance_policy_records_a_debt_that_later_points_repay(
        self, session: Session
    ) -> None:
        cid = member(session)
        with_policy(session, reversal_shortfall="negative_balance")
        earned_order(session)
        post.do_redeem(session, cid, 80, key="spend", at=DAY + days(1))
        ret = give_back(session, "A-1", "R-1", 10_000)
        result = post.do_reverse_for_return(session, ret, at=DAY + days(3))
        assert (result.reversed_points, result.debt_points, result.balance) == (100, 80, -80)
        assert balance(session, cid, at=DAY + days(3)).debt == 80
        post.do_earn(session, cid, 50, key="bonus", reason="survey", at=DAY + days(4))
        assert balance(session, cid, at=DAY + days(4)).points == -30
        assert verify_ledger(session) == []

    def test_expired_points_are_not_taken_twice(self, session: Session) -> None:
        cid = member(session)
        post.do_earn(session, cid, 500, key="later", reason="survey", at=DAY + days(60))
        earned_order(session)
        ret = give_back(session, "A-1", "R-1", 10_000, at=DAY + days(400))
        # the order's lot expired at the end of May 2027; the July lot is still there
        result = post.do_reverse_for_return(session, ret, at=DAY + days(400))
        assert (result.reversed_points, result.waived_points) == (0, 100)
        assert result.balance == 500

    def test_a_return_that_names_no_order_is_refused(self, session: Session) -> None:
        member(session)
        store_returns(
            session,
            [ReturnIn("R-X", DAY, (LineIn("X", 1, 100, 100),), customer="M1")],
        )
        rid = session.execute(select(PointEntry.id)).first()  # no entries at all
        assert rid is None
        from kizuna.orders.models import Return

        ret = session.scalars(select(Return)).one()
        with pytest.raises(ReturnWithoutOrder) as err:
            post.do_reverse_for_return(session, ret.id, at=DAY)
        assert err.value.field == "order_id"


class TestRefunds:
    def test_points_used_come_back_into_the_lots_they_came_from(self, session: Session) -> None:
        cid = member(session)
        post.do_earn(session, cid, 500, key="bank", reason="survey", at=T0)
        oid = order(session, "M1", "A-1", 10_000, at=DAY, points_used=300)
        post.do_redeem(session, cid, 300, key="use", order_id=oid, at=DAY)
        half = give_back(session, "A-1", "R-1", 5_000)
        assert post.do_reverse_for_return(session, half, at=DAY + days(2)).refunded_points == 150
        rest = give_back(session, "A-1", "R-2", 5_000)
        result = post.do_reverse_for_return(session, rest, at=DAY + days(3))
        assert result.refunded_points == 150 and result.balance == 500
        assert verify_ledger(session) == []

    def test_refunds_into_an_expired_lot_expire_again_visibly(self, session: Session) -> None:
        cid = member(session)
        post.do_earn(session, cid, 300, key="bank", reason="survey", at=T0)
        oid = order(session, "M1", "A-1", 1_000, at=DAY, points_used=300)
        post.do_redeem(session, cid, 300, key="use", order_id=oid, at=DAY)
        ret = give_back(session, "A-1", "R-1", 1_000, at=DAY + days(400))
        result = post.do_reverse_for_return(session, ret, at=DAY + days(400))
        assert result.refunded_points == 300 and result.balance == 0
        kinds = session.scalars(select(PointEntry.kind).order_by(PointEntry.id)).all()
        assert kinds[-2:] == ["refund_redeemed", "expire"]

    def test_new_lot_policy_refunds_with_a_fresh_expiry(self, session: Session) -> None:
        cid = member(session)
        with_policy(session, refund_to="new_lot")
        post.do_earn(session, cid, 300, key="bank", reason="survey", at=T0)
        oid = order(session, "M1", "A-1", 1_000, at=DAY, points_used=300)
        post.do_redeem(session, cid, 300, key="use", order_id=oid, at=DAY)
        ret = give_back(session, "A-1", "R-1", 1_000, at=DAY + days(400))
        assert post.do_reverse_for_return(session, ret, at=DAY + days(400)).balance == 300

    def test_points_the_order_claims_but_the_ledger_never_saw_are_reported(
        self, session: Session
    ) -> None:
        member(session)
        order(session, "M1", "A-1", 1_000, at=DAY, points_used=300)
        ret = give_back(session, "A-1", "R-1", 1_000)
        result = post.do_reverse_for_return(session, ret, at=DAY + days(3))
        assert (result.refunded_points, result.unmatched_points_used) == (0, 300)


class TestCancellation:
    def test_cancellation_reverses_refunds_and_releases(self, session: Session) -> None:
        cid = member(session)
        post.do_earn(session, cid, 1_000, key="bank", reason="survey", at=T0)
        oid = earned_order(session, points_used=200)
        hold = post.do_hold(session, cid, 200, key="h1", order_ref="A-1", at=DAY)
        post.do_capture(session, hold.hold_id or 0, key="c1", order_id=oid, at=DAY)
        open_hold = post.do_hold(session, cid, 50, key="h2", order_ref="A-1", at=DAY)
        result = post.do_reverse_for_cancellation(session, oid, at=DAY + timedelta(minutes=5))
        assert (result.reversed_points, result.refunded_points) == (98, 200)  # 1% of 9,800
        assert result.released_holds == (open_hold.hold_id,)
        assert result.balance == 1_000
        again = post.do_reverse_for_cancellation(session, oid, at=DAY + days(1))
        assert again.replayed and again.balance == 1_000
        assert verify_ledger(session) == []
