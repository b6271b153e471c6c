"""Tracking and attribution: open pixel and click redirect (signed tokens) recorded as
``email_open`` / ``email_click`` events, and conversions = orders within N days of a send.

Opens are unreliable: mail clients block images (under-count) or prefetch them (Apple Mail
Privacy Protection over-counts). Treat open rates as a rough signal; clicks and orders are the
evidence. Handlers are plain functions so the web layer only maps routes to them:

- ``GET /t/o/{token}.gif`` → ``handle_open(session, token)`` → GIF bytes (always, even if invalid)
- ``GET /t/c/{token}`` → ``handle_click(session, token)`` → URL to redirect to (302)
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kizuna.channels import tokens
from kizuna.channels.models import OutboxMessage
from kizuna.events.models import Event
from kizuna.kit.clock import now
from kizuna.kit.errors import KizunaError, NotFound
from kizuna.orders.models import Order

PIXEL_GIF = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")


def handle_open(session: Session, token: str, *, at: datetime | None = None) -> bytes:
    """Record the first open of a message as an ``email_open`` event; returns the 1×1 GIF."""
    try:
        outbox_id = int(tokens.verify("open", token))
    except (KizunaError, TypeError, ValueError):
        return PIXEL_GIF
    row = session.get(OutboxMessage, outbox_id)
    if row is not None:
        _event(session, f"open:{outbox_id}", "email_open", row, at or now(), {})
    return PIXEL_GIF


def handle_click(session: Session, token: str, *, at: datetime | None = None) -> str:
    """Record an ``email_click`` (once per message and URL) and return the URL to redirect to.

    Raises ``ValidationFailed`` for a forged token, so the redirect can never be an open one."""
    outbox_id, url = tokens.verify("click", token)
    row = session.get(OutboxMessage, int(outbox_id))
    if row is None:
        raise NotFound(f"message #{outbox_id} does not exist", field="token")
    digest = hashlib.sha256(url.encode()).hexdigest()[:16]
    _event(session, f"click:{outbox_id}:{digest}", "email_click", row, at or now(), {"url": url})
    return str(url)


def _event(
    session: Session, key: str, kind: str, row: OutboxMessage, at: datetime, extra: dict[str, str]
) -> None:
    if session.scalar(select(Event.id).where(Event.event_key == key)) is not None:
        return
    properties = {
        "outbox_id": row.id,
        "channel": row.channel,
        "source_type": row.source_type,
        "source_key": row.source_key,
        "step_key": row.step_key,
        **extra,
    }
    try:
        with session.begin_nested():
            session.add(
                Event(
                    event_key=key,
                    customer_id=row.customer_id,
                    type=kind,
                    occurred_at=at,
                    properties=properties,
                )
            )
    except IntegrityError:
        pass  # the same open or click recorded concurrently


@dataclass(frozen=True, slots=True)
class Attribution:
    """Conversions of a journey or campaign: recipients, converters, orders, revenue (minor
    units)."""

    recipients: int
    converters: int
    orders: int
    revenue: int
    window_days: int

    @property
    def conversion_rate(self) -> float:
        """Share of recipients who ordered within the window."""
        return self.converters / self.recipients if self.recipients else 0.0

    @property
    def revenue_per_recipient(self) -> float:
        """Attributed revenue divided by recipients."""
        return self.revenue / self.recipients if self.recipients else 0.0


def attribution(
    session: Session,
    source_type: str,
    source_key: str,
    *,
    days: int = 7,
    as_of: datetime | None = None,
) -> Attribution:
    """Orders placed within ``days`` after each recipient's first sent message of the source."""
    first = (
        select(OutboxMessage.customer_id, func.min(OutboxMessage.sent_at).label("first_sent"))
        .where(
            OutboxMessage.status == "sent",
            OutboxMessage.source_type == source_type,
            OutboxMessage.source_key == source_key,
        )
        .group_by(OutboxMessage.customer_id)
        .subquery()
    )
    recipients = session.scalar(select(func.count()).select_from(first)) or 0
    stmt = (
        select(Order.customer_id, Order.placed_at, Order.total, first.c.first_sent)
        .join(first, first.c.customer_id == Order.customer_id)
        .where(Order.placed_at >= first.c.first_sent, Order.status != "cancelled")
    )
    window, limit = timedelta(days=days), as_of or now()
    converters, orders, revenue = set(), 0, 0
    for customer_id, placed_at, total, first_sent in session.execute(stmt):
        if placed_at < _aware(first_sent) + window and placed_at <= limit:
            converters.add(customer_id)
            orders += 1
            revenue += total
    return Attribution(recipients, len(converters), orders, revenue, days)


def _aware(moment: datetime) -> datetime:
    # ``min()`` over a UTCDateTime column may come back from SQLite as naive text; normalise it.
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
