"""Refunds of the points an order used, for returns and cancellations (see ``reversal``).

The points an order used are its REDEEM entries and captured holds (matched by order id, or by
order number when the storefront only knew the number). Each return refunds
``ceil(used × returned / basis)`` in total; the points go back into the lots they came from,
latest expiry first (``refund_to = "original_lots"``), or into a new lot with a fresh expiry.
"""

from __future__ import annotations

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from kizuna.loyalty.calc import pro_rata
from kizuna.loyalty.ledger import core
from kizuna.loyalty.ledger.common import lot_expiry
from kizuna.loyalty.ledger.models import EntryKind, PointEntry, PointHold, PointLot, PointMovement
from kizuna.loyalty.programme import Programme
from kizuna.orders.models import Order


def _used_by(session: Session, order: Order) -> tuple[list[PointEntry], list[PointHold]]:
    """The order's redemptions and captured holds (matched by id, or by order number when the
    storefront only knew the number)."""
    by_number = and_(
        PointEntry.order_id.is_(None),
        PointEntry.link_ref == order.order_number,
        PointEntry.customer_id == order.customer_id,
    )
    redeems = session.scalars(
        select(PointEntry).where(
            PointEntry.kind == EntryKind.REDEEM, or_(PointEntry.order_id == order.id, by_number)
        )
    ).all()
    holds = session.scalars(
        select(PointHold).where(
            PointHold.status == "captured",
            or_(
                PointHold.order_id == order.id,
                and_(
                    PointHold.order_ref == order.order_number,
                    PointHold.customer_id == order.customer_id,
                ),
            ),
        )
    ).all()
    return list(redeems), list(holds)


def refund_used(
    session: Session,
    programme: Programme,
    order: Order,
    returned: int,
    basis: int,
    prefix: str,
    common: dict,
) -> tuple[PointEntry | None, int]:
    redeems, holds = _used_by(session, order)
    used = sum(-e.points for e in redeems) + sum(h.points for h in holds)
    unmatched = max(0, order.points_used - used)
    before = session.scalars(
        select(PointEntry).where(
            PointEntry.order_id == order.id, PointEntry.kind == EntryKind.REFUND_REDEEMED
        )
    ).all()
    todo = pro_rata(used, returned, basis, "ceil") - sum(e.points for e in before)
    if todo <= 0:
        return None, unmatched
    entry = core.add_entry(
        session,
        order.customer_id or 0,
        EntryKind.REFUND_REDEEMED,
        todo,
        idempotency_key=f"{prefix}:refund",
        fingerprint=core.fingerprint(prefix, "refund"),
        detail={
            "used": used,
            "returned_yen": returned,
            "basis_yen": basis,
            "refund_to": programme.redemption.refund_to,
        },
        **common,
    )
    sources = [e.id for e in redeems] + [h.hold_entry_id for h in holds]
    left = todo
    if programme.redemption.refund_to == "original_lots":
        left = _restore(session, entry, sources, [e.id for e in before], todo)
    if left:
        core.credit(
            session, entry, left, common["created_at"], lot_expiry(programme, common["created_at"])
        )
    return entry, unmatched


def _restore(
    session: Session, entry: PointEntry, sources: list[int], refunds: list[int], points: int
) -> int:
    """Put ``points`` back into the lots the order's points came from, latest expiry first;
    returns what could not be placed."""
    out = dict(
        session.execute(
            select(PointMovement.lot_id, -func.sum(PointMovement.points))
            .where(PointMovement.entry_id.in_(sources))
            .group_by(PointMovement.lot_id)
        ).all()
    )
    back = (
        dict(
            session.execute(
                select(PointMovement.lot_id, func.sum(PointMovement.points))
                .where(PointMovement.entry_id.in_(refunds))
                .group_by(PointMovement.lot_id)
            ).all()
        )
        if refunds
        else {}
    )
    lots = session.scalars(
        select(PointLot)
        .where(PointLot.id.in_(list(out)))
        .order_by(
            PointLot.expires_at.is_(None).desc(), PointLot.expires_at.desc(), PointLot.id.desc()
        )
    ).all()
    for lot in lots:
        give = min(points, int(out[lot.id]) - int(back.get(lot.id, 0)))
        if give > 0:
            core.move(session, entry, lot, give)
            points -= give
    return points
