"""Messaging tables: the outbox (one row per message, recorded before it leaves), its decision
log, suppressions, web push subscriptions and shop overrides of the default templates.

Outbox statuses (``OutboxMessage.status``):

- ``pending``: recorded and due at ``next_attempt_at`` (first try or a retry with backoff).
- ``claimed``: a worker took it into a batch (``claimed_by``, ``lease_until``); nothing has left.
- ``sending``: the worker passed the point of no return (SMTP: the final dot; HTTP: the request).
  A row left here by a dead worker has an unknown outcome: the channel decides (``resend_unknown``).
- ``sent``: the provider accepted it (``sent_at``, ``provider_id``).
- ``held``: not sent for now; with ``next_attempt_at`` it is deferred (quiet hours, frequency cap)
  and re-checked then; without, it waits for a person (unknown outcome).
- ``dropped``: a guard decided it must not be sent (no consent, suppressed, problem customer…).
- ``failed``: the provider refused it for good, or the retries ran out.

Every status but ``pending → claimed → sending → sent`` writes a ``message_log`` row with its
reason.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kizuna.kit.clock import now
from kizuna.kit.db import Base, BigId, JsonDoc, UTCDateTime

STATUSES = ("pending", "claimed", "sending", "sent", "held", "dropped", "failed")
KINDS = ("marketing", "transactional")
CHANNEL_NAMES = ("email", "sms", "line", "push", "postal")


class OutboxMessage(Base):
    """One message to one customer; ``dedupe_key`` is unique per (customer, journey step) or
    (customer, campaign), so recording it twice is a no-op and it is never sent twice."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    channel: Mapped[str] = mapped_column(String(8))
    kind: Mapped[str] = mapped_column(String(16), default="marketing")
    category: Mapped[str] = mapped_column(String(40), default="newsletter")
    template: Mapped[str] = mapped_column(String(80))
    language: Mapped[str] = mapped_column(String(2), default="ja")
    context: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    source_type: Mapped[str] = mapped_column(String(16), default="manual")
    source_key: Mapped[str] = mapped_column(String(80), default="")
    step_key: Mapped[str] = mapped_column(String(80), default="")
    status: Mapped[str] = mapped_column(String(8), default="pending")
    reason: Mapped[str | None] = mapped_column(String(120))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(80))
    provider_id: Mapped[str | None] = mapped_column(String(200))
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_outbox_messages_status_due", "status", "next_attempt_at"),
        Index("ix_outbox_messages_customer_created", "customer_id", "created_at"),
        Index("ix_outbox_messages_source", "source_type", "source_key"),
    )


class MessageLog(Base):
    """Append-only: every decision about a message that is not the plain path to ``sent``."""

    __tablename__ = "message_log"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    outbox_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_messages.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    action: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(120))
    detail: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class Suppression(Base):
    """Do not send: a customer (or an address, for bounces) on a channel for a category.

    ``category`` is a message category (``shipping``), ``marketing`` (all marketing on the
    channel) or ``*`` (everything, e.g. a hard bounce). Lifting one sets ``lifted_at``.
    """

    __tablename__ = "suppressions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    address: Mapped[str | None] = mapped_column(String(255), index=True)
    channel: Mapped[str] = mapped_column(String(8))
    category: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PushSubscription(Base):
    """A browser's Web Push subscription (endpoint, keys); revoked on 404/410 from the service."""

    __tablename__ = "push_subscriptions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    endpoint: Mapped[str] = mapped_column(String(1000), unique=True)
    p256dh: Mapped[str] = mapped_column(String(200))
    auth: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MessageTemplate(Base):
    """A shop's override of a packaged template file (same name), edited in the dashboard."""

    __tablename__ = "message_templates"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    language: Mapped[str] = mapped_column(String(2))
    source: Mapped[str] = mapped_column(Text)
    updated_by: Mapped[str] = mapped_column(String(120), default="system")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)

    __table_args__ = (UniqueConstraint("name", "language"),)
