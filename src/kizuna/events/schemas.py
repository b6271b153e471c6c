"""Event inputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


@dataclass(frozen=True, slots=True)
class EventIn:
    """One on-site event. ``event_key`` is the sender's unique id: sending it twice is a no-op."""

    event_key: str
    type: str
    occurred_at: datetime
    customer: str | None = None
    anonymous_id: str | None = None
    sku: str | None = None
    properties: dict[str, Any] = field(default_factory=dict)


class EventBody(BaseModel):
    """One event in ``POST /api/events``."""

    model_config = ConfigDict(extra="forbid")

    event_id: str = Field(min_length=1, max_length=128)
    type: Literal[
        "page_view",
        "product_view",
        "search",
        "cart_add",
        "cart_remove",
        "checkout_start",
        "login",
        "email_open",
        "email_click",
    ]
    occurred_at: AwareDatetime
    customer_id: str | None = Field(default=None, max_length=64)
    anonymous_id: str | None = Field(default=None, max_length=64)
    sku: str | None = Field(default=None, max_length=64)
    properties: dict[str, Any] = Field(default_factory=dict)

    def to_input(self) -> EventIn:
        """The event as stored."""
        return EventIn(
            self.event_id,
            self.type,
            self.occurred_at.astimezone(UTC),
            self.customer_id,
            self.anonymous_id,
            self.sku,
            self.properties,
        )


class EventBatch(BaseModel):
    """Body of ``POST /api/events``: up to 5,000 events."""

    model_config = ConfigDict(extra="forbid")

    events: list[EventBody] = Field(min_length=1, max_length=5000)
