"""Event API: append on-site events in batches (idempotent by event id)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Depends

from kizuna.events.schemas import EventBatch
from kizuna.ingest.pipeline import after_commit, ingest_events
from kizuna.web.deps import WriteSessionDep, api_key

router = APIRouter(prefix="/api/events", tags=["events"])


@router.post("", dependencies=[Depends(api_key("events:write"))])
def post_events(
    batch: EventBatch, session: WriteSessionDep, background: BackgroundTasks
) -> dict[str, Any]:
    """Store the events not seen before (and run the journeys' cart hooks on them); returns
    inserted / unchanged counts."""
    counts, reactions = ingest_events(session, [event.to_input() for event in batch.events])
    background.add_task(after_commit, reactions)  # after the request's commit
    return asdict(counts)
