"""Event inputs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


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
