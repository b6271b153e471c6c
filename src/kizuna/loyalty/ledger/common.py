"""The opening and closing steps every posting verb shares, and the one way points are granted.

``begin`` locks the customer, finds a replay of the request and otherwise sweeps the
customer's timed-out holds and due lots; ``result`` reports an entry and the balance after it;
``post_earn`` writes an EARN entry and its lot. Used by ``post``, ``earning`` and ``reversal``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from kizuna.kit.clock import now
from kizuna.loyalty.dates import add_months, day_start, local_date, month_end
from kizuna.loyalty.ledger import core, sweep
from kizuna.loyalty.ledger.core import EntryResult
from kizuna.loyalty.ledger.models import EntryKind, PointEntry, PointLot
from kizuna.loyalty.locking import lock_customer
from kizuna.loyalty.programme import Programme
from kizuna.loyalty.versions import active_programme


def lot_expiry(programme: Programme, at: datetime) -> datetime | None:
    """When points earned at ``at`` expire: the start of the day after their last valid day."""
    rule = programme.expiry
    if rule.mode == "never":
        return None
    last = add_months(local_date(at), rule.months)
    if rule.end_of_month:
        last = month_end(last)
    return day_start(last + timedelta(days=1))


def result(
    session: Session,
    entry: PointEntry,
    replayed: bool = False,
    *,
    balance: int | None = None,
    hold_id: int | None = None,
) -> EntryResult:
    """The ``EntryResult`` of ``entry`` with the customer's balance now (read unless given)."""
    if balance is None:
        balance = core.balance_of(session, entry.customer_id)
    return EntryResult(
        entry.id,
        entry.kind,
        entry.points,
        balance,
        replayed,
        hold_id or entry.hold_id,
        entry.detail,
    )


def begin(
    session: Session, customer_id: int, key: str, print_: str, at: datetime | None
) -> tuple[datetime, PointEntry | None]:
    """Lock, look for a replay, and (when there is none) sweep: the start of every verb."""
    at = at or now()
    lock_customer(session, customer_id)
    replay = core.find_replay(session, key, print_)
    if replay is None:
        sweep.sweep(session, customer_id, at)
    return at, replay


def replayed(session: Session, customer_id: int, key: str, print_: str) -> EntryResult | None:
    """The earlier result for ``key`` under the customer's lock, or None."""
    lock_customer(session, customer_id)
    entry = core.find_replay(session, key, print_)
    return None if entry is None else result(session, entry, True)


def post_earn(
    session: Session,
    customer_id: int,
    points: int,
    *,
    key: str,
    print_: str,
    reason: str,
    at: datetime | None,
    expires_at: datetime | None = None,
    **fields: Any,
) -> EntryResult:
    """Write an EARN entry with the caller's request fingerprint (rule-driven earns use the
    order or event, not the computed points, so that a replay matches even if the rules
    changed): debts are paid first, the rest opens a lot."""
    at, replay = begin(session, customer_id, key, print_, at)
    if replay is not None:
        return result(session, replay, True)
    programme = active_programme(session, at)
    entry = core.add_entry(
        session,
        customer_id,
        EntryKind.EARN,
        points,
        idempotency_key=key,
        fingerprint=print_,
        reason=reason,
        programme_version=programme.version,
        created_at=at,
        **fields,
    )
    expiry = expires_at or lot_expiry(programme, at)
    before, debts = core.funds(session, customer_id)
    core.credit(session, entry, points, at, expiry, debts > 0)
    if programme.expiry.mode == "extend_on_activity" and expiry is not None:
        session.execute(
            update(PointLot)
            .where(
                PointLot.customer_id == customer_id,
                PointLot.remaining > 0,
                PointLot.expires_at < expiry,
            )
            .values(expires_at=expiry)
            .execution_options(synchronize_session="fetch")
        )
    return result(session, entry, balance=before + points)
