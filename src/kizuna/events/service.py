"""Event verbs: append events in bulk; an event key already stored is skipped (idempotent)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from kizuna.customers.service import ensure_customers
from kizuna.events.schemas import EventIn
from kizuna.kit.bulk import Bulk
from kizuna.kit.counts import WriteCounts

_COLUMNS = "event_key, customer_id, anonymous_id, type, occurred_at, sku, properties"


def store_events(session: Session, events: Sequence[EventIn]) -> WriteCounts:
    """Append the events not stored yet; returns inserted / unchanged counts."""
    bulk, counts = Bulk(session), WriteCounts()
    latest = {event.event_key: event for event in events}
    counts.unchanged += len(events) - len(latest)
    known = bulk.fetch_map("events", "event_key", list(latest))
    todo = [event for key, event in latest.items() if key not in known]
    counts.unchanged += len(latest) - len(todo)
    counts.inserted = len(todo)
    customers = ensure_customers(session, {e.customer: None for e in todo if e.customer})
    marks = ", ".join(["?"] * 6 + [bulk.json_mark()])
    bulk.executemany(
        f"INSERT INTO events ({_COLUMNS}) VALUES ({marks}) ON CONFLICT (event_key) DO NOTHING",
        [
            (
                e.event_key,
                customers.get(e.customer or ""),
                e.anonymous_id,
                e.type,
                bulk.time(e.occurred_at),
                e.sku,
                bulk.json(e.properties),
            )
            for e in todo
        ],
    )
    return counts
