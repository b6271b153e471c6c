"""On-site behaviour, append-only: page and product views, searches, cart, checkout, logins."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from kizuna.kit.db import Base, BigId, JsonDoc, UTCDateTime

EVENT_TYPES = (
    "page_view",
    "product_view",
    "search",
    "cart_add",
    "cart_remove",
    "checkout_start",
    "login",
    "email_open",
    "email_click",
)


class Event(Base):
    """One thing a visitor did. ``event_key`` makes re-sending the same event a no-op."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_key: Mapped[str] = mapped_column(String(128), unique=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    anonymous_id: Mapped[str | None] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(20))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sku: Mapped[str | None] = mapped_column(String(64))
    properties: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)

    __table_args__ = (Index("ix_events_customer_time", "customer_id", "occurred_at"),)
