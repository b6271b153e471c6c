"""Reading the ledger: a customer's balance, points expiring soon, history, the shop's points
liability, and a reconciliation that checks the ledger's invariants. Writes nothing."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kizuna.kit.clock import now
from kizuna.kit.money import format_yen
from kizuna.loyalty.dates import local_date
from kizuna.loyalty.ledger.models import PointEntry, PointHold, PointLot, PointMovement
from kizuna.loyalty.versions import active_programme


@dataclass(frozen=True, slots=True)
class Balance:
    """``points`` is the sum of the customer's entries (what they can spend, after holds);
    ``held`` is reserved at checkouts; ``debt`` is owed after reversals (negative-balance
    policy); ``expiring`` lists ``(last valid day, points)`` within the look-ahead."""

    customer_id: int
    points: int
    held: int
    debt: int
    yen_value: int
    expiring: tuple[tuple[date, int], ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON form for the API and ``--json``."""
        return {
            "customer_id": self.customer_id,
            "points": self.points,
            "held": self.held,
            "debt": self.debt,
            "yen_value": self.yen_value,
            "yen_value_text": format_yen(self.yen_value),
            "expiring": [{"date": d.isoformat(), "points": p} for d, p in self.expiring],
        }


def balance(
    session: Session, customer_id: int, *, at: datetime | None = None, days_ahead: int = 90
) -> Balance:
    """The customer's balance at ``at`` and the points expiring in the next ``days_ahead``."""
    at = at or now()
    lots = session.execute(
        select(PointLot.remaining, PointLot.expires_at).where(
            PointLot.customer_id == customer_id, PointLot.remaining != 0
        )
    ).all()
    spendable = [(r, e) for r, e in lots if r < 0 or e is None or e > at]
    points = sum(r for r, _ in spendable)
    horizon = at + timedelta(days=days_ahead)
    soon: dict[date, int] = defaultdict(int)
    for remaining, expires in spendable:
        if remaining > 0 and expires is not None and expires <= horizon:
            soon[local_date(expires - timedelta(microseconds=1))] += remaining
    held = session.scalar(
        select(func.coalesce(func.sum(PointHold.points), 0)).where(
            PointHold.customer_id == customer_id,
            PointHold.status == "active",
            PointHold.expires_at > at,
        )
    )
    rate = active_programme(session, at).redemption.yen_per_point
    return Balance(
        customer_id=customer_id,
        points=points,
        held=int(held or 0),
        debt=-sum(r for r, _ in spendable if r < 0),
        yen_value=max(points, 0) * rate,
        expiring=tuple(sorted(soon.items())),
    )


@dataclass(frozen=True, slots=True)
class EntryView:
    id: int
    at: datetime
    kind: str
    points: int
    reason: str
    actor: str
    note: str | None
    order_id: int | None
    return_id: int | None
    link: str | None
    detail: dict[str, Any] | None


def history(
    session: Session, customer_id: int, *, limit: int = 50, before_id: int | None = None
) -> list[EntryView]:
    """The customer's ledger, newest first (``before_id`` pages back)."""
    query = select(PointEntry).where(PointEntry.customer_id == customer_id)
    if before_id is not None:
        query = query.where(PointEntry.id < before_id)
    rows = session.scalars(query.order_by(PointEntry.id.desc()).limit(limit))
    return [
        EntryView(
            e.id,
            e.created_at,
            e.kind,
            e.points,
            e.reason,
            e.actor,
            e.note,
            e.order_id,
            e.return_id,
            f"{e.link_type}:{e.link_ref}" if e.link_type else None,
            e.detail,
        )
        for e in rows
    ]


@dataclass(frozen=True, slots=True)
class Liability:
    """Points the shop owes: outstanding points and their yen value, by month of expiry
    (``"never"`` for lots without one)."""

    points: int
    yen: int
    customers: int
    by_expiry_month: tuple[tuple[str, int], ...]


def points_liability(session: Session, *, at: datetime | None = None) -> Liability:
    """Outstanding positive points at ``at`` (one grouped scan of the open lots)."""
    at = at or now()
    rows = session.execute(
        select(
            PointLot.expires_at,
            func.sum(PointLot.remaining),
            func.count(PointLot.customer_id.distinct()),
        )
        .where(PointLot.remaining > 0, (PointLot.expires_at.is_(None)) | (PointLot.expires_at > at))
        .group_by(PointLot.expires_at)
    ).all()
    months: dict[str, int] = defaultdict(int)
    for expires, points, _count in rows:
        key = "never" if expires is None else local_date(expires - timedelta(microseconds=1))
        months[key if isinstance(key, str) else key.strftime("%Y-%m")] += int(points)
    customers = session.scalar(
        select(func.count(PointLot.customer_id.distinct())).where(
            PointLot.remaining > 0, (PointLot.expires_at.is_(None)) | (PointLot.expires_at > at)
        )
    )
    total = sum(months.values())
    rate = active_programme(session, at).redemption.yen_per_point
    return Liability(total, total * rate, int(customers or 0), tuple(sorted(months.items())))


def verify_ledger(session: Session, customer_id: int | None = None) -> list[str]:
    """Problems found by reconciling entries, movements and lots (empty when all is well):
    each entry's points equal its movements, each lot's remaining equals its movements, no
    positive lot below zero, and per customer the sum of entries equals the sum of lots."""
    problems = []
    entries = select(PointEntry.id, PointEntry.customer_id, PointEntry.points)
    moved = select(PointMovement.entry_id, func.sum(PointMovement.points)).group_by(
        PointMovement.entry_id
    )
    lots = select(PointLot.id, PointLot.customer_id, PointLot.remaining, PointLot.is_debt)
    lot_moves = select(PointMovement.lot_id, func.sum(PointMovement.points)).group_by(
        PointMovement.lot_id
    )
    if customer_id is not None:
        entries = entries.where(PointEntry.customer_id == customer_id)
        lots = lots.where(PointLot.customer_id == customer_id)
    by_entry = dict(session.execute(moved).all())
    by_lot = dict(session.execute(lot_moves).all())
    sums: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for entry_id, owner, points in session.execute(entries):
        sums[owner][0] += points
        if int(by_entry.get(entry_id, 0)) != points:
            problems.append(
                f"entry #{entry_id}: points {points} ≠ movements {by_entry.get(entry_id, 0)}"
            )
    for lot_id, owner, remaining, is_debt in session.execute(lots):
        sums[owner][1] += remaining
        if int(by_lot.get(lot_id, 0)) != remaining:
            problems.append(
                f"lot #{lot_id}: remaining {remaining} ≠ movements {by_lot.get(lot_id, 0)}"
            )
        if remaining < 0 and not is_debt:
            problems.append(f"lot #{lot_id}: remaining {remaining} below zero")
    for owner, (entry_sum, lot_sum) in sorted(sums.items()):
        if entry_sum != lot_sum:
            problems.append(f"customer #{owner}: entries sum {entry_sum} ≠ lots sum {lot_sum}")
    return problems
