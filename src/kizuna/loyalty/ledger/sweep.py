"""The sweep: what every verb does first for its customer, and the nightly job for everyone.

Timed-out holds are released (their points go back to exactly the lots they came from), then
lots past their expiry are expired, in that order, so that points a hold gives back into an
expired lot expire too. Each step is an ordinary ledger entry (RELEASE, EXPIRE).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import literal, select
from sqlalchemy.orm import Session

from kizuna.loyalty.ledger import core
from kizuna.loyalty.ledger.models import EntryKind, PointEntry, PointHold, PointLot, PointMovement


def expire_lot(session: Session, lot: PointLot, at: datetime) -> PointEntry:
    """Post the EXPIRE entry for what is left of ``lot``."""
    entry = core.add_entry(
        session,
        lot.customer_id,
        EntryKind.EXPIRE,
        -lot.remaining,
        idempotency_key=f"expire:{lot.id:012d}:{lot.moves}",
        fingerprint="expire",
        reason="expiry",
        lot_id=lot.id,
        created_at=at,
        detail={"expires_at": lot.expires_at.isoformat() if lot.expires_at else None},
    )
    core.move(session, entry, lot, -lot.remaining)
    return entry


def restore_hold(session: Session, hold: PointHold, entry: PointEntry) -> None:
    """Put back exactly the points ``hold`` took, lot by lot."""
    taken = session.execute(
        select(PointMovement.lot_id, PointMovement.points).where(
            PointMovement.entry_id == hold.hold_entry_id
        )
    ).all()
    for lot_id, points in taken:
        core.move(session, entry, session.get_one(PointLot, lot_id), -points)


def release_hold(
    session: Session, hold: PointHold, at: datetime, *, key: str, reason: str, actor: str
) -> PointEntry:
    """Post the RELEASE entry of an active hold and mark it released."""
    entry = core.add_entry(
        session,
        hold.customer_id,
        EntryKind.RELEASE,
        hold.points,
        idempotency_key=key,
        fingerprint=core.fingerprint("release", hold.id),
        reason=reason,
        actor=actor,
        hold_id=hold.id,
        order_id=hold.order_id,
        link_type="checkout",
        link_ref=hold.order_ref,
        created_at=at,
    )
    restore_hold(session, hold, entry)
    hold.status, hold.settle_entry_id, hold.settled_at = "released", entry.id, at
    return entry


def sweep(session: Session, customer_id: int, at: datetime) -> list[PointEntry]:
    """Release the customer's timed-out holds, then expire their due lots (in that order, so
    that points a hold gives back into an expired lot expire too). Returns the entries."""
    due = session.execute(
        select(literal("hold").label("what"), PointHold.id)
        .where(
            PointHold.customer_id == customer_id,
            PointHold.status == "active",
            PointHold.expires_at <= at,
        )
        .union_all(
            select(literal("lot"), PointLot.id).where(
                PointLot.customer_id == customer_id,
                PointLot.remaining != 0,
                PointLot.remaining > 0,
                PointLot.expires_at <= at,
            )
        )
    ).all()
    if not due:  # the common case: one query and done
        return []
    posted = []
    hold_ids = sorted(i for what, i in due if what == "hold")
    for hold_id in hold_ids:
        hold = session.get_one(PointHold, hold_id)
        posted.append(
            release_hold(
                session,
                hold,
                at,
                key=f"hold:{hold.id}:timeout",
                reason="hold_timeout",
                actor="system",
            )
        )
    if hold_ids:
        session.flush()
    lots = session.scalars(
        select(PointLot)
        .where(
            PointLot.customer_id == customer_id,
            PointLot.remaining != 0,
            PointLot.remaining > 0,
            PointLot.expires_at <= at,
        )
        .order_by(PointLot.expires_at, PointLot.id)
    ).all()
    posted.extend(expire_lot(session, lot, at) for lot in lots)
    return posted
