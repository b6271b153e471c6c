"""The campaign builder: audience (a saved segment or a JSON tree) with a live count, channel,
template with its ja/en preview, A/B variants, holdout and schedule; "send" or "schedule"
stores the campaign through the domain code. Outbox ids are enqueued after the commit."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, BackgroundTasks, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from kizuna.accounts.models import User
from kizuna.automation import campaigns
from kizuna.automation.campaigns.builder import (
    CHANNELS,
    TEMPLATES,
    as_definition,
    audience_count,
    list_campaigns,
    saved_segments,
)
from kizuna.kit.errors import KizunaError, ValidationFailed
from kizuna.web.deps import SessionDep, require_role
from kizuna.web.ui.render import page, render_html

router = APIRouter(include_in_schema=False)
MARKETER = require_role("marketer")
EXAMPLE_TREE = {"type": "rank", "ranks": ["dormant"]}


class BuilderForm(BaseModel):
    """The builder's fields as posted (all text, as a browser sends them)."""

    key: str = ""
    name: str = ""
    audience_mode: str = "segment"
    segment: str = ""
    definition: str = ""
    channel: str = "auto"
    template: str = "newsletter"
    headline_ja: str = ""
    headline_en: str = ""
    intro_ja: str = ""
    intro_en: str = ""
    offer_ja: str = ""
    offer_en: str = ""
    variant_b_ja: str = ""
    variant_b_en: str = ""
    holdout: str = "10"
    scheduled_at: str = ""
    action: str = "send"


def _texts(form: BuilderForm, language: str, prefix: str = "") -> dict[str, str]:
    fields = ("headline", "intro", "offer") if not prefix else ("headline",)
    values = {f: getattr(form, f"{prefix or f}_{language}").strip() for f in fields}
    return {("headline" if prefix else f): v for f, v in values.items() if v}


def to_document(form: BuilderForm, zone: str) -> dict[str, Any]:
    """The campaign document the form describes; ``ValidationFailed`` names the bad field."""
    doc: dict[str, Any] = {
        "key": form.key.strip() or "draft",
        "name": form.name.strip() or form.key.strip() or "draft",
        "channel": form.channel,
        "template": form.template,
        "context": {"items": []},
        "i18n": {lang: _texts(form, lang) for lang in ("ja", "en")},
    }
    if form.audience_mode == "definition":
        try:
            tree = json.loads(form.definition or "null")
        except json.JSONDecodeError as exc:
            message = f"the segment tree is not valid JSON: {exc.msg} (line {exc.lineno})"
            raise ValidationFailed(message, field="definition") from exc
        if not isinstance(tree, dict):
            raise ValidationFailed("write the segment tree as a JSON object", field="definition")
        doc["definition"] = as_definition(tree)
    else:
        doc["segment"] = form.segment or None
    variant_b = {lang: _texts(form, lang, "variant_b") for lang in ("ja", "en")}
    if any(variant_b.values()):
        doc["variants"] = [{"name": "A"}, {"name": "B", "i18n": variant_b}]
    try:
        doc["holdout_share"] = float(form.holdout or 0) / 100
    except ValueError as exc:
        raise ValidationFailed("the holdout is a percentage", field="holdout") from exc
    if form.scheduled_at:
        try:
            moment = datetime.fromisoformat(form.scheduled_at)
        except ValueError as exc:
            message = "the schedule is not a date and time"
            raise ValidationFailed(message, field="scheduled_at") from exc
        doc["scheduled_at"] = (
            moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(zone))
        ).isoformat()
    return doc


def _parse(form: BuilderForm, zone: str) -> campaigns.CampaignDoc:
    try:
        return campaigns.CampaignDoc.model_validate(to_document(form, zone))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "document"
        raise ValidationFailed(f"{where}: {first['msg']}", field=where) from exc


def _builder(session: SessionDep, form: BuilderForm) -> dict[str, Any]:
    return {
        "campaigns": list_campaigns(session),
        "segments": saved_segments(session),
        "channels": CHANNELS,
        "templates": TEMPLATES,
        "form": form.model_dump(),
        "example_tree": json.dumps(EXAMPLE_TREE, ensure_ascii=False),
    }


@page(router, "/campaigns", "campaigns.html")
def campaigns_page(
    request: Request, session: SessionDep, done: str | None = None, user: User = MARKETER
) -> dict[str, Any]:
    form = BuilderForm(definition=json.dumps(EXAMPLE_TREE, ensure_ascii=False, indent=2))
    return {"user": user, "error": None, "done": done, **_builder(session, form)}


@router.post("/campaigns/audience.json", include_in_schema=False)
def audience(
    request: Request,
    session: SessionDep,
    form: Annotated[BuilderForm, Form()],
    user: User = MARKETER,
) -> Response:
    if form.audience_mode == "definition":
        definition = to_document(form, request.app.state.settings.shop_timezone)["definition"]
        return JSONResponse(audience_count(session, definition=definition))
    return JSONResponse(audience_count(session, segment=form.segment or None))


@router.post("/campaigns/preview.json", include_in_schema=False)
def preview(
    request: Request,
    session: SessionDep,
    form: Annotated[BuilderForm, Form()],
    user: User = MARKETER,
) -> Response:
    doc = _parse(form, request.app.state.settings.shop_timezone)
    return JSONResponse(campaigns.preview(session, doc))


@router.post("/campaigns", include_in_schema=False)
def create(
    request: Request,
    session: SessionDep,
    background: BackgroundTasks,
    form: Annotated[BuilderForm, Form()],
    user: User = MARKETER,
) -> Response:
    try:
        if not form.key.strip():
            raise ValidationFailed("give the campaign a key (a-z, 0-9, - and _)", field="key")
        doc = _parse(form, request.app.state.settings.shop_timezone)
        if form.action == "schedule" and doc.scheduled_at is None:
            raise ValidationFailed("pick when to send it", field="scheduled_at")
        if form.action != "schedule":
            doc = doc.model_copy(update={"scheduled_at": None})
        campaigns.do_create(session, doc, actor=user.email)
        if form.action == "send":
            result = campaigns.send(session, doc.key)
            background.add_task(_enqueue, result["pending"])
    except KizunaError as error:
        data = {"user": user, "error": error, "done": None, **_builder(session, form)}
        return render_html(request, "campaigns.html", data, status=422)
    return RedirectResponse(f"/campaigns?done={doc.key}", status_code=303)


def _enqueue(pending: list[int]) -> None:
    """After the request's commit: ring the worker for the recorded messages."""
    if pending:
        from kizuna.channels import tasks

        tasks.enqueue_ids(pending)


@page(router, "/campaigns/{key}", "campaign.html")
def campaign_page(
    request: Request, key: str, session: SessionDep, user: User = MARKETER
) -> dict[str, Any]:
    return {
        "user": user,
        "campaign": campaigns.results(session, key),
        "currency": request.app.state.settings.currency,
    }
