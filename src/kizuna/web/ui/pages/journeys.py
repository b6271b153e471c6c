"""Journeys: the list (switch per journey, enrolments, sends, conversions, uplift) and a
journey's page (per-step funnel and uplift with its confidence interval)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from kizuna.accounts.models import User
from kizuna.automation.journeys.service import (
    install_presets,
    journey_detail,
    list_journeys,
    set_journey_enabled,
)
from kizuna.web.deps import SessionDep, require_role
from kizuna.web.ui.render import page

router = APIRouter(include_in_schema=False)
MARKETER = require_role("marketer")


@page(router, "/journeys", "journeys.html")
def journeys_page(request: Request, session: SessionDep, user: User = MARKETER) -> dict[str, Any]:
    return {"user": user, "journeys": list_journeys(session)}


@router.post("/journeys/install", include_in_schema=False)
def install(session: SessionDep, user: User = MARKETER) -> Response:
    install_presets(session, actor=user.email)
    return RedirectResponse("/journeys", status_code=303)


@router.post("/journeys/{key}/switch", include_in_schema=False)
def switch(
    key: str,
    session: SessionDep,
    enabled: Annotated[str, Form()],
    next_url: Annotated[str, Form(alias="next")] = "/journeys",
    user: User = MARKETER,
) -> Response:
    set_journey_enabled(session, key, enabled == "on", actor=user.email)
    target = next_url if next_url.startswith("/journeys") else "/journeys"
    return RedirectResponse(target, status_code=303)


@page(router, "/journeys/{key}", "journey.html")
def journey_page(
    request: Request, key: str, session: SessionDep, user: User = MARKETER
) -> dict[str, Any]:
    data = journey_detail(session, key)
    return {"user": user, "journey": data, "currency": request.app.state.settings.currency}
