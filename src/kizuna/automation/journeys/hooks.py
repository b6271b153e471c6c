"""Reactions to the record, for the ingest pipeline to call explicitly (never via signals):

    outcome = record_order(session, order)            # the record
    reaction = on_order_recorded(session, order_id)   # journeys: enrol + first steps now
    session.commit()
    channels.tasks.enqueue_ids(reaction.pending)      # the doorbell, after the commit

Each hook runs the switched-on journeys whose trigger reacts to that kind of record (orders:
first purchase, order placed, survey request; events: cart abandoned; shipments: shipped,
delivered, review request), narrowed to the ids just recorded, enrols the customers and
advances the enrolments that are due at once, so a welcome mail is in the outbox in the same
transaction as the order; enrolments due later today (a cart's quiet period) are returned in
``Reaction.later`` for a delayed ``automation.advance`` at their exact time. Nothing is
committed here. Records older than a trigger's ``within_hours`` (48 by default) enrol no one,
so a bulk import of history sends nothing.

The ``automation.on_*`` jobs (``tasks.py``) do the same in their own transaction, for callers
that prefer to enqueue after their commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.automation.journeys.enrol import scan_journey
from kizuna.automation.journeys.models import Enrolment
from kizuna.automation.journeys.runner import TickReport, advance
from kizuna.automation.journeys.store import enabled_for
from kizuna.automation.journeys.triggers import HANDLERS
from kizuna.kit.bulk import chunks
from kizuna.kit.clock import now

# Enrolments due within this long (a cart's quiet period) are also returned in ``later`` so the
# job can schedule a delayed ``automation.advance`` for their exact time; the minute tick is the
# safety net for everything else.
LATER = timedelta(days=1)


@dataclass(slots=True)
class Reaction:
    """What a hook did: new enrolments per journey, and outbox ids to enqueue after commit."""

    enrolled: dict[str, int] = field(default_factory=dict)
    pending: list[int] = field(default_factory=list)
    tick: TickReport | None = None
    later: dict[int, datetime] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        """JSON form."""
        return {
            "enrolled": self.enrolled,
            "pending": len(self.pending),
            "later": len(self.later),
            "steps": self.tick.to_dict() if self.tick else {},
        }


def on_order_recorded(session: Session, order_id: int, *, at: datetime | None = None) -> Reaction:
    """React to one recorded order."""
    return on_orders_recorded(session, [order_id], at=at)


def on_orders_recorded(
    session: Session, order_ids: Sequence[int], *, at: datetime | None = None
) -> Reaction:
    """React to recorded orders (first purchase, order placed, survey request)."""
    return _react(session, "order", order_ids, at)


def on_event_recorded(
    session: Session, event_ids: Sequence[int], *, at: datetime | None = None
) -> Reaction:
    """React to recorded on-site events (cart activity: cart abandoned)."""
    return _react(session, "event", event_ids, at)


def on_shipments_recorded(
    session: Session, shipment_ids: Sequence[int], *, at: datetime | None = None
) -> Reaction:
    """React to recorded or updated shipments (shipped, delivered, review request)."""
    return _react(session, "shipment", shipment_ids, at)


def _react(session: Session, source: str, ids: Sequence[int], at: datetime | None) -> Reaction:
    at, reaction = at or now(), Reaction()
    if not ids:
        return reaction
    kinds = [name for name, h in HANDLERS.items() if h.source == source]
    customers: set[int] = set()
    keys = []
    for journey in enabled_for(session, kinds):
        scan, enrolled = scan_journey(session, journey, at=at, ids=ids)
        reaction.enrolled[journey.key] = enrolled
        customers |= {e.customer_id for e in scan.entries}
        keys.append(journey.key)
    due: list[int] = []
    for part in chunks(sorted(customers), 2000):
        rows = session.execute(
            select(Enrolment.id, Enrolment.due_at).where(
                Enrolment.customer_id.in_(part),
                Enrolment.journey_key.in_(keys),
                Enrolment.status == "active",
                Enrolment.due_at <= at + LATER,
            )
        )
        for enrolment_id, due_at in rows:
            if due_at is not None and due_at <= at:
                due.append(enrolment_id)
            elif due_at is not None:
                reaction.later[enrolment_id] = due_at
    if due:
        reaction.tick = advance(session, due, at=at)
        reaction.pending = reaction.tick.pending
    return reaction
