"""Marketing automation over the API: journeys (list, detail, switch, uplift) and campaigns
(audience count, create/schedule/send, results). Scopes ``automation:read`` and
``automation:write``; outbox ids are enqueued after the request's commit."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, BackgroundTasks, Depends, Query
from pydantic import BaseModel

from kizuna.accounts.models import ApiKey
from kizuna.automation import campaigns
from kizuna.automation.campaigns.builder import audience_count
from kizuna.automation.journeys import service
from kizuna.web.deps import SessionDep, api_key

router = APIRouter(prefix="/api", tags=["automation"])
READ = Depends(api_key("automation:read"))
WRITE = api_key("automation:write")


class Switch(BaseModel):
    """A journey's switch."""

    enabled: bool


class AudienceQuery(BaseModel):
    """A saved segment's name or an inline definition (or bare predicate tree)."""

    segment: str | None = None
    definition: dict[str, Any] | None = None


@router.get("/journeys", dependencies=[READ])
def journeys(session: SessionDep) -> list[dict[str, Any]]:
    """Every journey: switch, trigger, enrolments, sends, conversions and uplift."""
    return service.list_journeys(session)


@router.get("/journeys/{key}", dependencies=[READ])
def journey(key: str, session: SessionDep) -> dict[str, Any]:
    """One journey: steps with the per-step funnel, sends by status, uplift with its CI."""
    return service.journey_detail(session, key)


@router.put("/journeys/{key}/enabled")
def switch(
    key: str, body: Switch, session: SessionDep, key_row: ApiKey = Depends(WRITE)
) -> dict[str, Any]:
    """Switch a journey on or off (audited with the API key's name)."""
    return service.set_journey_enabled(session, key, body.enabled, actor=f"api:{key_row.name}")


@router.get("/journeys/{key}/uplift", dependencies=[READ])
def uplift(
    key: str, session: SessionDep, days: int | None = Query(None, ge=1, le=365)
) -> dict[str, Any]:
    """Treatment vs holdout: conversion and revenue per customer, differences with 95% CI."""
    return service.uplift_report(session, key, days=days)


@router.post("/campaigns/audience", dependencies=[READ])
def audience(body: AudienceQuery, session: SessionDep) -> dict[str, Any]:
    """The live audience count of a saved segment or an inline definition."""
    return audience_count(session, segment=body.segment, definition=body.definition)


@router.post("/campaigns", status_code=201)
def create_campaign(
    body: campaigns.CampaignDoc,
    session: SessionDep,
    background: BackgroundTasks,
    send: bool = Query(False, description="Send now (otherwise draft, or scheduled_at)"),
    key_row: ApiKey = Depends(WRITE),
) -> dict[str, Any]:
    """Store a campaign (a draft, or scheduled when it has ``scheduled_at``); ``?send=true``
    sends it at once. Sending a campaign twice sends nothing new."""
    row = campaigns.do_create(session, body, actor=f"api:{key_row.name}")
    out: dict[str, Any] = {"key": row.key, "status": row.status, "scheduled_at": row.scheduled_at}
    if send:
        result = campaigns.send(session, body.key)
        background.add_task(_enqueue, result["pending"])
        out = {**out, "status": "sent", **result, "pending": len(result["pending"])}
    return out


@router.get("/campaigns/{key}", dependencies=[READ])
def campaign_results(key: str, session: SessionDep) -> dict[str, Any]:
    """What a campaign did: counts, attribution, uplift over the holdout, the A/B winner."""
    return campaigns.results(session, key)


def _enqueue(pending: list[int]) -> None:
    if pending:
        from kizuna.channels import tasks

        tasks.enqueue_ids(pending)
