"""Timeline source: the messages kizuna sent, held or dropped for one customer (with the
guard's reason, the journey or campaign, opens and clicks), and suppressions added or lifted by
hand. No writes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.channels.models import MessageLog, OutboxMessage
from kizuna.events.models import Event

if TYPE_CHECKING:
    from kizuna.timeline.queries import TimelineEntry

TRACKED = ("email_open", "email_click")


def messages(session: Session, customer_id: int, limit: int) -> list[TimelineEntry]:
    """The customer's newest ``limit`` messages and manual suppression changes as entries."""
    from kizuna.timeline.queries import TimelineEntry  # here: queries imports this module

    rows = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.customer_id == customer_id)
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        .limit(limit)
    ).all()
    tracked = _tracking(session, customer_id, limit)
    entries = [
        TimelineEntry(
            m.sent_at or m.created_at,
            "message",
            m.template,
            {
                "channel": m.channel,
                "status": m.status,
                "reason": m.reason,
                "kind": m.kind,
                "source_type": m.source_type,
                "source_key": m.source_key,
                "step_key": m.step_key,
                "opens": tracked.get((m.id, "email_open"), 0),
                "clicks": tracked.get((m.id, "email_click"), 0),
            },
        )
        for m in rows
    ]
    changes = session.scalars(
        select(MessageLog)
        .where(
            MessageLog.customer_id == customer_id,
            MessageLog.action.in_(("suppress", "unsuppress")),
        )
        .order_by(MessageLog.at.desc())
        .limit(limit)
    )
    entries += [
        TimelineEntry(
            log.at,
            "suppression",
            log.action,
            {"action": log.action, "reason": log.reason, **(log.detail or {})},
        )
        for log in changes
    ]
    return entries


def _tracking(session: Session, customer_id: int, limit: int) -> dict[tuple[int, str], int]:
    """``{(outbox_id, event type): count}`` over the customer's recent opens and clicks."""
    counts: dict[tuple[int, str], int] = {}
    rows = session.execute(
        select(Event.type, Event.properties)
        .where(Event.customer_id == customer_id, Event.type.in_(TRACKED))
        .order_by(Event.occurred_at.desc())
        .limit(limit * 5)
    )
    for kind, properties in rows:
        outbox_id = (properties or {}).get("outbox_id")
        if outbox_id is not None:
            counts[(int(outbox_id), kind)] = counts.get((int(outbox_id), kind), 0) + 1
    return counts
