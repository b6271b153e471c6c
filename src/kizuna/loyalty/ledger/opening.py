"""Opening balances: the points a shop's members already hold in the system it leaves behind.

A shop moving to kizuna brings its members' outstanding points with their expiry dates. Each
imported lot becomes an ordinary EARN entry (reason ``opening_balance``, actor and source
recorded) with its lot and movement, so balances, expiry, redemption and the liability report
treat them like any other points. The key ``opening:<source>:<customer>:<lot>`` makes a re-import
change nothing. Written set-based (three multi-row inserts per batch), so a million members load
in seconds; the accounts are locked first, as every job does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from kizuna.kit.bulk import chunks
from kizuna.kit.counts import WriteCounts
from kizuna.kit.errors import ValidationFailed
from kizuna.loyalty.ledger.models import EntryKind, PointEntry, PointLot, PointMovement
from kizuna.loyalty.locking import lock_customers

BATCH = 5_000


@dataclass(frozen=True, slots=True)
class OpeningLot:
    """Points a member holds, earned at ``earned_at``, expiring at ``expires_at`` (None: never).
    ``ref`` tells lots of one member apart (e.g. the month they were earned)."""

    customer_id: int
    points: int
    earned_at: datetime
    expires_at: datetime | None
    ref: str = "1"


def opening_key(source: str, lot: OpeningLot) -> str:
    """The ledger idempotency key of one imported lot."""
    return f"opening:{source}:{lot.customer_id}:{lot.ref}"


def _check(lots: Sequence[OpeningLot], source: str) -> None:
    if not source or ":" in source:
        raise ValidationFailed("source must be a short name without ':'", field="source")
    for row, lot in enumerate(lots, start=1):
        if lot.points <= 0:
            raise ValidationFailed(f"row {row}: points must be positive", field="points")
        if lot.expires_at is not None and lot.expires_at <= lot.earned_at:
            raise ValidationFailed(f"row {row}: expires_at is not after earned_at",
                                   field="expires_at")  # fmt: skip


def do_import_opening_balances(
    session: Session, lots: Sequence[OpeningLot], *, source: str, actor: str = "import"
) -> WriteCounts:
    """Post ``lots`` as EARN entries with their lots; lots already imported are ``unchanged``.
    Validates everything first (a bad row names its number and field and writes nothing)."""
    _check(lots, source)
    counts = WriteCounts()
    for batch in chunks(list(lots), BATCH):
        customers = sorted({lot.customer_id for lot in batch})
        session.execute(
            text(
                "INSERT INTO loyalty_accounts (customer_id, qualifying) VALUES (:c, 0) "
                "ON CONFLICT (customer_id) DO NOTHING"
            ),
            [{"c": c} for c in customers],
        )
        lock_customers(session, customers)
        keys = [opening_key(source, lot) for lot in batch]
        done = set(
            session.scalars(select(PointEntry.idempotency_key).where(
                PointEntry.idempotency_key.in_(keys)))
        )  # fmt: skip
        fresh = [lot for lot, key in zip(batch, keys, strict=True) if key not in done]
        counts.unchanged += len(batch) - len(fresh)
        if fresh:
            _post(session, fresh, source, actor)
            counts.inserted += len(fresh)
    return counts


def _post(session: Session, lots: Sequence[OpeningLot], source: str, actor: str) -> None:
    entry_ids = session.scalars(
        insert(PointEntry).returning(PointEntry.id, sort_by_parameter_order=True),
        [
            {
                "customer_id": lot.customer_id, "kind": EntryKind.EARN.value,
                "points": lot.points, "idempotency_key": opening_key(source, lot),
                "fingerprint": "opening", "reason": "opening_balance", "actor": actor,
                "link_type": "import", "link_ref": source, "deducted_points": 0,
                "waived_points": 0, "created_at": lot.earned_at,
            }
            for lot in lots
        ],
    ).all()  # fmt: skip
    lot_ids = session.scalars(
        insert(PointLot).returning(PointLot.id, sort_by_parameter_order=True),
        [
            {
                "customer_id": lot.customer_id, "entry_id": entry_id, "is_debt": False,
                "points": lot.points, "remaining": lot.points, "moves": 1,
                "earned_at": lot.earned_at, "expires_at": lot.expires_at,
            }
            for lot, entry_id in zip(lots, entry_ids, strict=True)
        ],
    ).all()  # fmt: skip
    session.execute(
        insert(PointMovement),
        [
            {"entry_id": entry_id, "lot_id": lot_id, "points": lot.points}
            for lot, entry_id, lot_id in zip(lots, entry_ids, lot_ids, strict=True)
        ],
    )
