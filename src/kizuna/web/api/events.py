"""Event API: append on-site events in batches (idempotent by event id)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Depends

from kizuna.events.schemas import EventBatch
from kizuna.events.service import store_events
from kizuna.web.deps import WriteSessionDep, api_key

router = APIRouter(prefix="/api/events", tags=["events"])


@router.post("", dependencies=[Depends(api_key("events:write"))])
def post_events(batch: EventBatch, session: WriteSessionDep) -> dict[str, Any]:
    """Store the events not seen before; returns inserted / unchanged counts."""
    return asdict(store_events(session, [event.to_input() for event in batch.events]))
