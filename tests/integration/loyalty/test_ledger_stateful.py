"""Hypothesis stateful test of the ledger against a reference model written from the spec.

The model keeps its own lots and applies the rules in the documentation (earliest expiry first,
debts repaid first, holds restored lot by lot, cumulative pro-rata reversal with the shortfall
policy, refunds into the original lots latest-expiry first, sweeps at the start of every verb).
After every step the database must agree with the model lot by lot, the balance must equal the
sum of entries (and be ≥ 0 unless the policy allows debt), the ledger must reconcile, and a
replayed request must change nothing.
"""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from kizuna.kit.db import make_engine, make_sessionmaker, session_scope
from kizuna.kit.errors import KizunaError
from kizuna.loyalty.calc import pro_rata
from kizuna.loyalty.errors import HoldExpired, InsufficientPoints
from kizuna.loyalty.ledger import post
from kizuna.loyalty.ledger.balance import verify_ledger
from kizuna.loyalty.ledger.common import lot_expiry
from kizuna.loyalty.ledger.models import PointEntry, PointLot
from kizuna.loyalty.programme import Programme, default_programme
from kizuna.loyalty.versions import do_publish_programme

from .factories import T0, give_back, member, order

SERIAL = itertools.count()


@dataclass
class Lot:
    index: int
    remaining: int
    expires: datetime | None
    debt: bool = False
    expired: int = 0


@dataclass
class Hold:
    hold_id: int
    points: int
    taken: list[tuple[Lot, int]]
    expires: datetime
    status: str = "active"


@dataclass
class Order:
    order_id: int
    number: str
    amount: int
    earned: int
    lot: Lot | None
    used: dict[int, int] = field(default_factory=dict)
    used_total: int = 0
    returned: int = 0
    reversed: int = 0
    waived: int = 0
    refunded: int = 0
    back: dict[int, int] = field(default_factory=dict)


class LedgerMachine(RuleBasedStateMachine):
    sessions: sessionmaker[Session]
    programme: Programme = default_programme()

    def __init__(self) -> None:
        super().__init__()
        self.tag = f"S{next(SERIAL)}"
        with session_scope(self.sessions) as session:
            self.cid = member(session, self.tag)
        self.now = T0
        self.lots: list[Lot] = []
        self.holds: list[Hold] = []
        self.orders: list[Order] = []
        self.replays: list[tuple] = []
        self.n = 0

    # ----- the model -------------------------------------------------------------------
    def key(self, kind: str) -> str:
        self.n += 1
        return f"{self.tag}:{kind}:{self.n}"

    def balance(self) -> int:
        return sum(lot.remaining for lot in self.lots)

    def sweep(self) -> None:
        for hold in self.holds:
            if hold.status == "active" and hold.expires <= self.now:
                for lot, points in hold.taken:
                    lot.remaining += points
                hold.status = "released"
        for lot in self.lots:
            if lot.remaining > 0 and lot.expires is not None and lot.expires <= self.now:
                lot.expired += lot.remaining
                lot.remaining = 0

    def plan(self, points: int, first: Lot | None = None) -> list[tuple[Lot, int]]:
        open_ = [
            lot
            for lot in self.lots
            if lot.remaining > 0 and (lot.expires is None or lot.expires > self.now)
        ]
        open_.sort(key=lambda lot: (lot.expires is None, lot.expires or self.now, lot.index))
        if first is not None and first.remaining > 0:
            open_ = [first] + [lot for lot in open_ if lot is not first]
        out, left = [], points
        for lot in open_:
            take = min(lot.remaining, left)
            if take > 0:
                out.append((lot, take))
                left -= take
        return out

    def take(self, points: int, first: Lot | None = None) -> list[tuple[Lot, int]]:
        taken = self.plan(points, first)
        for lot, points_ in taken:
            lot.remaining -= points_
        return taken

    def credit(self, points: int) -> Lot | None:
        for debt in [lot for lot in self.lots if lot.remaining < 0]:
            pay = min(-debt.remaining, points)
            debt.remaining += pay
            points -= pay
            if not points:
                return None
        lot = Lot(len(self.lots), points, lot_expiry(self.programme, self.now))
        self.lots.append(lot)
        return lot

    # ----- rules -------------------------------------------------------------------------
    @rule(days=st.integers(0, 200), minutes=st.integers(0, 30))
    def advance(self, days: int, minutes: int) -> None:
        self.now += timedelta(days=days, minutes=minutes)

    @rule(amount=st.integers(100, 30_000), use=st.integers(0, 400))
    def place_order(self, amount: int, use: int) -> None:
        number = self.key("order")
        with session_scope(self.sessions) as session:
            order_id = order(session, self.tag, number, amount, at=self.now, points_used=use)
        used: dict[int, int] = {}
        if use:
            key = self.key("use")
            snapshot = [(lot.remaining, lot.expired) for lot in self.lots]
            holds = [h.status for h in self.holds]
            try:
                with session_scope(self.sessions) as session:
                    post.do_redeem(session, self.cid, use, key=key, order_id=order_id, at=self.now)
                self.sweep()
                assert use <= self.balance()
                for lot, points in self.take(use):
                    used[lot.index] = used.get(lot.index, 0) + points
                self.replays.append(("redeem", key, use, order_id))
            except InsufficientPoints:
                self.sweep()
                assert use > self.balance()
                self.restore(snapshot, holds)
                use = 0
        earned = max(1, (amount - use) // 100)
        key = self.key("earn")
        with session_scope(self.sessions) as session:
            post.do_earn(
                session, self.cid, earned, key=key, reason="order", order_id=order_id, at=self.now
            )
        self.sweep()
        lot = self.credit(earned)
        self.orders.append(Order(order_id, number, amount, earned, lot, used, use))
        self.replays.append(("earn", key, earned, order_id))

    @rule(points=st.integers(1, 600))
    def redeem(self, points: int) -> None:
        key = self.key("redeem")
        snapshot = [(lot.remaining, lot.expired) for lot in self.lots]
        holds = [h.status for h in self.holds]
        try:
            with session_scope(self.sessions) as session:
                post.do_redeem(session, self.cid, points, key=key, at=self.now)
        except InsufficientPoints:
            self.sweep()
            assert points > self.balance()
            self.restore(snapshot, holds)
            return
        self.sweep()
        self.take(points)
        self.replays.append(("redeem", key, points, None))

    def restore(self, snapshot: list[tuple[int, int]], holds: list[str]) -> None:
        for lot, (remaining, expired) in zip(self.lots, snapshot, strict=True):
            lot.remaining, lot.expired = remaining, expired
        for hold, status in zip(self.holds, holds, strict=True):
            hold.status = status

    @rule(points=st.integers(1, 300))
    def hold(self, points: int) -> None:
        key = self.key("hold")
        snapshot = [(lot.remaining, lot.expired) for lot in self.lots]
        holds = [h.status for h in self.holds]
        try:
            with session_scope(self.sessions) as session:
                result = post.do_hold(session, self.cid, points, key=key, at=self.now)
        except InsufficientPoints:
            self.sweep()
            assert points > self.balance()
            self.restore(snapshot, holds)
            return
        self.sweep()
        taken = self.take(points)
        expires = self.now + timedelta(minutes=self.programme.redemption.hold_minutes)
        self.holds.append(Hold(result.hold_id or 0, points, taken, expires))
        self.replays.append(("hold", key, points, None))

    @precondition(lambda self: any(h.status == "active" for h in self.holds))
    @rule(data=st.data(), capture=st.booleans())
    def settle(self, data: st.DataObject, capture: bool) -> None:
        hold = data.draw(st.sampled_from([h for h in self.holds if h.status == "active"]))
        key = self.key("settle")
        try:
            with session_scope(self.sessions) as session:
                if capture:
                    post.do_capture(session, hold.hold_id, key=key, at=self.now)
                else:
                    post.do_release(session, hold.hold_id, key=key, at=self.now)
        except HoldExpired:
            assert capture and hold.expires <= self.now
            return
        if capture:
            hold.status = "captured"
        else:
            for lot, points in hold.taken:
                lot.remaining += points
            hold.status = "released"
            self.sweep()
        self.replays.append(("capture" if capture else "release", key, hold.hold_id, None))

    @precondition(lambda self: bool(self.orders))
    @rule(data=st.data(), share=st.sampled_from([0.1, 0.25, 0.333, 0.5, 1.0]))
    def give_back(self, data: st.DataObject, share: float) -> None:
        target = data.draw(st.sampled_from(self.orders))
        amount = max(1, int(target.amount * share))
        with session_scope(self.sessions) as session:
            return_id = give_back(session, target.number, self.key("ret"), amount, at=self.now)
        with session_scope(self.sessions) as session:
            result = post.do_reverse_for_return(session, return_id, at=self.now)
        target.returned += amount
        self.reverse(target, target.returned, result)

    @precondition(lambda self: bool(self.orders))
    @rule(data=st.data())
    def cancel(self, data: st.DataObject) -> None:
        target = data.draw(st.sampled_from(self.orders))
        with session_scope(self.sessions) as session:
            result = post.do_reverse_for_cancellation(session, target.order_id, at=self.now)
        if result.replayed:
            return
        self.reverse(target, target.amount, result)

    def reverse(self, target: Order, returned: int, result: post.ReversalResult) -> None:
        self.sweep()
        basis = max(target.amount, 1)
        todo = pro_rata(target.earned, returned, basis, "floor") - target.reversed
        taken = debt = deducted = waive = 0
        if todo > 0:
            expired = target.lot.expired if target.lot else 0
            waive = min(todo, max(0, expired - target.waived))
            taken = sum(p for _, p in self.take(todo - waive, target.lot))
            shortfall = todo - waive - taken
            if self.programme.redemption.reversal_shortfall == "negative_balance":
                debt = shortfall
                if debt:
                    self.lots.append(Lot(len(self.lots), -debt, None, debt=True))
            else:
                deducted = shortfall
            target.reversed += todo
            target.waived += waive
        refund = pro_rata(target.used_total, returned, basis, "ceil") - target.refunded
        if refund > 0:
            left = refund
            sources = sorted(
                (lot for lot in self.lots if lot.index in target.used),
                key=lambda lot: (
                    lot.expires is not None,
                    -(lot.expires or T0).timestamp(),
                    -lot.index,
                ),
            )
            for lot in sources:
                give = min(left, target.used[lot.index] - target.back.get(lot.index, 0))
                if give > 0:
                    lot.remaining += give
                    target.back[lot.index] = target.back.get(lot.index, 0) + give
                    left -= give
            assert left == 0
            target.refunded += refund
        self.sweep()
        assert (result.reversed_points, result.waived_points) == (taken + debt, waive)
        assert (result.debt_points, result.deducted_points) == (debt, deducted)
        assert result.refunded_points == max(refund, 0)

    @rule(points=st.integers(-300, 300).filter(bool))
    def adjust(self, points: int) -> None:
        key = self.key("adjust")
        snapshot = [(lot.remaining, lot.expired) for lot in self.lots]
        holds = [h.status for h in self.holds]
        try:
            with session_scope(self.sessions) as session:
                post.do_adjust(
                    session, self.cid, points, key=key, note="test", actor="tester", at=self.now
                )
        except InsufficientPoints:
            self.sweep()
            assert -points > self.balance()
            self.restore(snapshot, holds)
            return
        self.sweep()
        if points > 0:
            self.credit(points)
        else:
            self.take(-points)
        self.replays.append(("adjust", key, points, None))

    @precondition(lambda self: bool(self.replays))
    @rule(data=st.data())
    def replay(self, data: st.DataObject) -> None:
        kind, key, value, order_id = data.draw(st.sampled_from(self.replays))
        with session_scope(self.sessions) as session:
            if kind == "redeem":
                result = post.do_redeem(
                    session, self.cid, value, key=key, order_id=order_id, at=self.now
                )
            elif kind == "earn":
                result = post.do_earn(
                    session,
                    self.cid,
                    value,
                    key=key,
                    reason="order",
                    order_id=order_id,
                    at=self.now,
                )
            elif kind == "hold":
                result = post.do_hold(session, self.cid, value, key=key, at=self.now)
            elif kind == "capture":
                result = post.do_capture(session, value, key=key, at=self.now)
            elif kind == "release":
                result = post.do_release(session, value, key=key, at=self.now)
            else:
                result = post.do_adjust(
                    session, self.cid, value, key=key, note="test", actor="tester", at=self.now
                )
        assert result.replayed

    @rule(points=st.integers(1, 50))
    def reuse_a_key_for_something_else(self, points: int) -> None:
        if not self.replays:
            return
        _, key, *_ = self.replays[-1]
        with pytest.raises(KizunaError) as err, session_scope(self.sessions) as session:
            post.do_earn(session, self.cid, 10_000 + points, key=key, reason="x", at=self.now)
        assert err.value.code == "idempotency_key_reused"

    # ----- invariants --------------------------------------------------------------------
    @invariant()
    def database_matches_the_model(self) -> None:
        with session_scope(self.sessions) as session:
            rows = session.execute(
                select(PointLot.remaining, PointLot.is_debt)
                .where(PointLot.customer_id == self.cid)
                .order_by(PointLot.id)
            ).all()
            entries = session.scalar(
                select(func.coalesce(func.sum(PointEntry.points), 0)).where(
                    PointEntry.customer_id == self.cid
                )
            )
            problems = verify_ledger(session, self.cid)
        assert [(lot.remaining, lot.debt) for lot in self.lots] == [tuple(r) for r in rows]
        assert entries == self.balance()
        assert problems == []
        if self.programme.redemption.reversal_shortfall == "deduct_from_refund":
            assert self.balance() >= 0


SETTINGS = settings(
    max_examples=int(os.environ.get("KIZUNA_STATEFUL_EXAMPLES", "25")),
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


def _run(db_url: str, programme: Programme) -> None:
    from hypothesis.stateful import run_state_machine_as_test

    engine = make_engine(db_url)
    sessions = make_sessionmaker(engine)
    if programme.redemption.reversal_shortfall != "deduct_from_refund":
        with session_scope(sessions) as session:
            do_publish_programme(
                session, programme, author="test", effective_from=T0 - timedelta(days=400)
            )
    machine = type("Machine", (LedgerMachine,), {"sessions": sessions, "programme": programme})
    try:
        run_state_machine_as_test(machine, settings=SETTINGS)
    finally:
        engine.dispose()


@pytest.mark.parametrize("policy", ["deduct_from_refund", "negative_balance"])
def test_ledger_invariants_hold_under_random_use(db_url: str, policy: str) -> None:
    base = default_programme()
    programme = base.model_copy(
        update={"redemption": base.redemption.model_copy(update={"reversal_shortfall": policy})}
    )
    _run(db_url, programme)
