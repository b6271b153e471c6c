"""Returns and cancellations: take back exactly what the order earned and give back the points
it used.

**Pro rata, cumulatively.** For an order whose goods came to ``basis`` yen, after returns
totalling ``C`` yen (this return and every earlier-recorded return of the order), each EARN
entry ``E`` of the order should have been reversed by ``floor(E × C / basis)`` points in total,
and the points used should have been refunded by ``ceil(U × C / basis)``. Each return posts the
difference between that target and what earlier reversals already did. Rounding on every
partial step therefore favours the customer (reverse less, refund more) and the last step —
everything returned, or a cancellation — lands exactly on ``E`` and ``U``; replaying a return
posts nothing because its target is already met.

**Points already gone.** Reversed points come from the order's own lot first, then from other
lots by earliest expiry. Points of the order's lot that *expired* are not taken again
(``waived_points``). Points that were *spent* and cannot be covered are a shortfall, handled by
the programme's ``reversal_shortfall``: ``negative_balance`` records a debt lot (the balance goes
below zero and later credits pay it off); ``deduct_from_refund`` leaves the balance alone and
reports ``deducted_points`` / ``refund_deduction_yen`` for the refund. Either way the entry and
the result say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from kizuna.kit.clock import now
from kizuna.kit.errors import NotFound
from kizuna.loyalty.calc import pro_rata
from kizuna.loyalty.errors import OrderNotFound, ReturnWithoutOrder
from kizuna.loyalty.ledger import core, sweep
from kizuna.loyalty.ledger.models import EntryKind, PointEntry, PointHold, PointLot, PointMovement
from kizuna.loyalty.ledger.refunds import refund_used
from kizuna.loyalty.locking import lock_customer
from kizuna.loyalty.programme import Programme
from kizuna.loyalty.versions import active_programme
from kizuna.orders.models import Order, Return


@dataclass(frozen=True, slots=True)
class ReversalResult:
    """What a return or cancellation did to the customer's points."""

    order_id: int
    return_id: int | None
    reversed_points: int = 0
    debt_points: int = 0
    deducted_points: int = 0
    refund_deduction_yen: int = 0
    waived_points: int = 0
    refunded_points: int = 0
    unmatched_points_used: int = 0
    released_holds: tuple[int, ...] = ()
    entry_ids: tuple[int, ...] = ()
    balance: int = 0
    replayed: bool = False


def do_reverse_for_return(
    session: Session, return_id: int, *, at: datetime | None = None, actor: str = "system"
) -> ReversalResult:
    """Reverse the points of the order ``return_id`` brings goods back from, pro rata."""
    ret = session.get(Return, return_id)
    if ret is None:
        raise NotFound(f"there is no return #{return_id}", field="return_id")
    if ret.order_id is None:
        raise ReturnWithoutOrder(
            f"return {ret.return_number} names no order, so its points cannot be reversed",
            field="order_id",
        )
    order = session.get_one(Order, ret.order_id)
    returned = session.scalar(
        select(func.coalesce(func.sum(Return.amount), 0)).where(
            Return.order_id == order.id, Return.id <= ret.id
        )
    )
    return _reverse(session, order, int(returned or 0), f"return:{ret.id}", ret.id, at, actor)


def do_reverse_for_cancellation(
    session: Session, order_id: int, *, at: datetime | None = None, actor: str = "system"
) -> ReversalResult:
    """Reverse everything ``order_id`` earned, refund what it used, release its open holds."""
    order = session.get(Order, order_id)
    if order is None:
        raise OrderNotFound(f"there is no order #{order_id}", field="order_id")
    return _reverse(session, order, max(order.subtotal, 1), f"cancel:{order.id}", None, at, actor)


def _reverse(
    session: Session,
    order: Order,
    returned: int,
    prefix: str,
    return_id: int | None,
    at: datetime | None,
    actor: str,
) -> ReversalResult:
    if order.customer_id is None:
        return ReversalResult(order.id, return_id)
    at = at or now()
    lock_customer(session, order.customer_id)
    mine = [e for e in _order_entries(session, order) if e.idempotency_key.startswith(prefix + ":")]
    if mine:
        return _summary(session, order, return_id, mine, (), True, 0)
    sweep.sweep(session, order.customer_id, at)
    programme = active_programme(session, at)
    reason = "return" if return_id else "cancellation"
    common = {
        "reason": reason,
        "actor": actor,
        "order_id": order.id,
        "return_id": return_id,
        "created_at": at,
        "programme_version": programme.version,
    }
    basis = max(order.subtotal, 1)
    posted = []
    for earn in [e for e in _order_entries(session, order) if e.kind == EntryKind.EARN]:
        entry = _reverse_earn(session, programme, earn, returned, basis, prefix, common)
        if entry is not None:
            posted.append(entry)
    refund, unmatched = refund_used(session, programme, order, returned, basis, prefix, common)
    posted += [refund] if refund is not None else []
    released: list[int] = []
    if return_id is None:
        released = _release_order_holds(session, order, at, prefix, actor)
    session.flush()
    sweep.sweep(session, order.customer_id, at)
    return _summary(session, order, return_id, posted, tuple(released), False, unmatched)


def _order_entries(session: Session, order: Order) -> list[PointEntry]:
    return list(
        session.scalars(
            select(PointEntry).where(PointEntry.order_id == order.id).order_by(PointEntry.id)
        )
    )


def _reverse_earn(
    session: Session,
    programme: Programme,
    earn: PointEntry,
    returned: int,
    basis: int,
    prefix: str,
    common: dict,
) -> PointEntry | None:
    target = pro_rata(earn.points, returned, basis, "floor")
    prior = session.scalars(
        select(PointEntry).where(
            PointEntry.reverses_id == earn.id, PointEntry.kind == EntryKind.REVERSE_EARN
        )
    ).all()
    todo = target - sum(-p.points + p.deducted_points + p.waived_points for p in prior)
    if todo <= 0:
        return None
    lot = session.scalar(select(PointLot).where(PointLot.entry_id == earn.id, ~PointLot.is_debt))
    waive = min(todo, max(0, _expired_from(session, lot) - sum(p.waived_points for p in prior)))
    lots = core.open_lots(session, earn.customer_id, common["created_at"], need=todo - waive)
    plan = core.plan_consumption(lots, todo - waive, lot)
    taken = sum(points for _, points in plan)
    shortfall = todo - waive - taken
    debt = shortfall if programme.redemption.reversal_shortfall == "negative_balance" else 0
    entry = core.add_entry(
        session,
        earn.customer_id,
        EntryKind.REVERSE_EARN,
        -(taken + debt),
        idempotency_key=f"{prefix}:reverse:{earn.id}",
        fingerprint=core.fingerprint(prefix, earn.id),
        reverses_id=earn.id,
        deducted_points=shortfall - debt,
        waived_points=waive,
        detail={
            "target": target,
            "returned_yen": returned,
            "basis_yen": basis,
            "shortfall": shortfall,
            "policy": programme.redemption.reversal_shortfall,
        },
        **common,
    )
    core.consume(session, entry, plan)
    if debt:
        core.open_debt(session, entry, debt, common["created_at"])
    return entry


def _expired_from(session: Session, lot: PointLot | None) -> int:
    """Points of ``lot`` that left it by expiry."""
    if lot is None:
        return 0
    total = session.scalar(
        select(func.coalesce(func.sum(PointMovement.points), 0))
        .join(PointEntry, PointEntry.id == PointMovement.entry_id)
        .where(PointMovement.lot_id == lot.id, PointEntry.kind == EntryKind.EXPIRE)
    )
    return -int(total or 0)


def _release_order_holds(
    session: Session, order: Order, at: datetime, prefix: str, actor: str
) -> list[int]:
    holds = session.scalars(
        select(PointHold).where(
            PointHold.status == "active",
            PointHold.customer_id == order.customer_id,
            or_(PointHold.order_id == order.id, PointHold.order_ref == order.order_number),
        )
    ).all()
    for hold in holds:
        sweep.release_hold(
            session,
            hold,
            at,
            key=f"{prefix}:release:{hold.id}",
            reason="cancellation",
            actor=actor,
        )
    return [h.id for h in holds]


def _summary(
    session: Session,
    order: Order,
    return_id: int | None,
    entries: list[PointEntry],
    released: tuple[int, ...],
    replayed: bool,
    unmatched: int,
) -> ReversalResult:
    programme = active_programme(session)
    reverses = [e for e in entries if e.kind == EntryKind.REVERSE_EARN]
    debt = sum((e.detail or {}).get("shortfall", 0) - e.deducted_points for e in reverses)
    deducted = sum(e.deducted_points for e in reverses)
    return ReversalResult(
        order_id=order.id,
        return_id=return_id,
        reversed_points=-sum(e.points for e in reverses),
        debt_points=debt,
        deducted_points=deducted,
        refund_deduction_yen=deducted * programme.redemption.yen_per_point,
        waived_points=sum(e.waived_points for e in reverses),
        refunded_points=sum(e.points for e in entries if e.kind == EntryKind.REFUND_REDEEMED),
        unmatched_points_used=unmatched,
        released_holds=released or tuple(e.hold_id for e in entries if e.hold_id),
        entry_ids=tuple(e.id for e in entries),
        balance=core.balance_of(session, order.customer_id or 0),
        replayed=replayed,
    )
