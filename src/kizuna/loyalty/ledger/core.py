"""Ledger primitives shared by the posting verbs: idempotency, the balance, lot consumption
and crediting. Callers hold the customer's lock (``locking``); the sweep of timed-out holds and
expired lots is in ``sweep.py``.

**Consumption order.** Points leave lots by *earliest expiry first*; lots that never expire
go last; among lots expiring at the same instant the older lot (lower id) goes first. A
reversal names a *preferred* lot (the one its order's points went into) that goes before all
others. Debt lots (negative ``remaining``) are never consumed; credits pay them off instead.

**Crediting.** New points (earn, positive adjustment, refunds into a new lot) first pay off debt
lots, oldest first, and open a new lot with what is left.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from kizuna.loyalty.errors import IdempotencyKeyReused, InvalidPoints
from kizuna.loyalty.ledger.models import EntryKind, PointEntry, PointLot, PointMovement

_PAGE = 32


@dataclass(frozen=True, slots=True)
class EntryResult:
    """What a posting verb did: the entry, the points it moved, the balance after it, and
    whether it was a replay of an earlier request with the same idempotency key."""

    entry_id: int
    kind: str
    points: int
    balance: int
    replayed: bool = False
    hold_id: int | None = None
    detail: dict[str, Any] | None = field(default=None)


def fingerprint(*parts: Any) -> str:
    """A short stable hash of a request's defining parameters."""
    return hashlib.blake2b(repr(parts).encode(), digest_size=16).hexdigest()


def check_points(points: Any, name: str = "points") -> int:
    """``points`` if it is a positive integer, else ``InvalidPoints`` naming the field."""
    if isinstance(points, bool) or not isinstance(points, int) or points <= 0:
        raise InvalidPoints(f"{name} must be a positive whole number, not {points!r}", field=name)
    return points


def find_replay(session: Session, key: str, print_: str) -> PointEntry | None:
    """The entry already posted under ``key``; ``IdempotencyKeyReused`` if it was for a
    different request."""
    if not key or not key.strip():
        raise InvalidPoints("an idempotency key is required", field="idempotency_key")
    entry = session.scalar(select(PointEntry).where(PointEntry.idempotency_key == key))
    if entry is not None and entry.fingerprint != print_:
        raise IdempotencyKeyReused(
            f"idempotency key {key!r} was already used for a different request "
            f"(entry #{entry.id}, {entry.kind} {entry.points})",
            field="idempotency_key",
        )
    return entry


def funds(session: Session, customer_id: int) -> tuple[int, int]:
    """``(balance, debt lots)``: the sum of the customer's live lots (= the sum of entries) and
    how many of them are debts — one aggregate over the open-lots index."""
    row = session.execute(
        select(
            func.coalesce(func.sum(PointLot.remaining), 0),
            func.coalesce(func.sum(case((PointLot.remaining < 0, 1), else_=0)), 0),
        ).where(PointLot.customer_id == customer_id, PointLot.remaining != 0)
    ).one()
    return int(row[0]), int(row[1])


def balance_of(session: Session, customer_id: int) -> int:
    """The customer's balance: the sum of the lots' remaining points (= the sum of entries)."""
    return funds(session, customer_id)[0]


def add_entry(
    session: Session, customer_id: int, kind: EntryKind, points: int, **fields: Any
) -> PointEntry:
    """Insert one ledger entry and return it with its id."""
    fields.setdefault("deducted_points", 0)
    fields.setdefault("waived_points", 0)
    fields["actor"] = fields.get("actor") or "system"
    entry = PointEntry(customer_id=customer_id, kind=kind.value, points=points, **fields)
    session.add(entry)
    session.flush()
    return entry


def move(session: Session, entry: PointEntry, lot: PointLot, points: int) -> None:
    """Move ``points`` (signed) into ``lot`` on behalf of ``entry``."""
    lot.remaining += points
    lot.moves += 1
    session.add(PointMovement(entry_id=entry.id, lot_id=lot.id, points=points))


def open_lots(
    session: Session, customer_id: int, at: datetime, need: int | None = None
) -> list[PointLot]:
    """Spendable lots in consumption order: earliest expiry first, never-expiring last, the
    older lot first on a tie. With ``need``, read page by page until they cover it."""
    query = (
        select(PointLot)
        .where(
            PointLot.customer_id == customer_id,
            PointLot.remaining != 0,  # the open-lots partial index (SQLite needs this term)
            PointLot.remaining > 0,
            or_(PointLot.expires_at.is_(None), PointLot.expires_at > at),
        )
        .order_by(PointLot.expires_at.is_(None), PointLot.expires_at, PointLot.id)
    )
    if need is None:
        return list(session.scalars(query))
    lots: list[PointLot] = []
    while True:
        page = list(session.scalars(query.offset(len(lots)).limit(_PAGE)))
        lots += page
        if len(page) < _PAGE or sum(lot.remaining for lot in lots) >= need:
            return lots


def plan_consumption(
    lots: Sequence[PointLot], points: int, first: PointLot | None = None
) -> list[tuple[PointLot, int]]:
    """Which lots give how much for ``points``, in consumption order (``first`` before all);
    may cover less than ``points`` when the lots run out."""
    ordered = ([first] if first is not None and first.remaining > 0 else []) + [
        lot for lot in lots if first is None or lot.id != first.id
    ]
    plan, left = [], points
    for lot in ordered:
        if left <= 0:
            break
        take = min(lot.remaining, left)
        if take > 0:
            plan.append((lot, take))
            left -= take
    return plan


def consume(session: Session, entry: PointEntry, plan: list[tuple[PointLot, int]]) -> None:
    """Apply a consumption plan for ``entry``."""
    for lot, take in plan:
        move(session, entry, lot, -take)


def credit(
    session: Session,
    entry: PointEntry,
    points: int,
    at: datetime,
    expires_at: datetime | None,
    debts: bool = True,
) -> PointLot | None:
    """Pay debts with ``points``, then open a lot with the rest (returned, or None).
    ``debts=False``: the caller knows there are none (skips a query)."""
    left = points
    owed = (
        session.scalars(
            select(PointLot)
            .where(
                PointLot.customer_id == entry.customer_id,
                PointLot.remaining != 0,
                PointLot.remaining < 0,
            )
            .order_by(PointLot.id)
        ).all()
        if debts
        else []
    )
    for debt in owed:
        pay = min(-debt.remaining, left)
        move(session, entry, debt, pay)
        left -= pay
        if not left:
            return None
    lot = PointLot(
        customer_id=entry.customer_id,
        entry_id=entry.id,
        is_debt=False,
        points=left,
        remaining=0,
        moves=0,
        earned_at=at,
        expires_at=expires_at,
    )
    session.add(lot)
    session.flush()
    move(session, entry, lot, left)
    return lot


def open_debt(session: Session, entry: PointEntry, points: int, at: datetime) -> PointLot:
    """Record ``points`` the customer owes (negative-balance policy) as a debt lot."""
    lot = PointLot(
        customer_id=entry.customer_id,
        entry_id=entry.id,
        is_debt=True,
        points=-points,
        remaining=0,
        moves=0,
        earned_at=at,
        expires_at=None,
    )
    session.add(lot)
    session.flush()
    move(session, entry, lot, -points)
    return lot
