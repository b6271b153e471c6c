"""Content blocks: which block each storefront slot shows to members, non-members, stages,
ranks and segments. The marketer edits a slot's document (JSON); every version is kept."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from kizuna.accounts.models import User
from kizuna.kit.errors import ValidationFailed
from kizuna.recommend.content import (
    SlotContent,
    content_document,
    content_history,
    content_slots,
    do_publish_content,
)
from kizuna.web.deps import SessionDep, require_role
from kizuna.web.ui.render import page, render_html

router = APIRouter(include_in_schema=False)
MARKETER = require_role("marketer")
EXAMPLE = {
    "slot": "home-hero",
    "rules": [
        {
            "audience": {"member": True, "stages": ["Gold", "Platinum"]},
            "block": {"key": "vip", "title": "ゴールド会員さま限定セール", "link_url": "/sale/vip"},
        },
        {
            "audience": {"member": False},
            "block": {"key": "join", "title": "会員登録で500ポイント", "link_url": "/signup"},
        },
    ],
    "default": {"key": "default", "title": "新商品のご案内", "link_url": "/new"},
}


def _editor(session: SessionDep, slot: str | None) -> dict[str, Any]:
    document = content_document(session, slot) if slot else None
    history = content_history(session, slot) if slot else []
    text = (
        document.model_dump_json(indent=2)
        if document
        else json.dumps({**EXAMPLE, "slot": slot or EXAMPLE["slot"]}, ensure_ascii=False, indent=2)
    )
    return {
        "slots": content_slots(session),
        "slot": slot,
        "document": text,
        "history": [
            {"version": v.version, "author": v.author, "note": v.note, "created_at": v.created_at}
            for v in history
        ],
    }


@page(router, "/content", "content.html")
def content_page(
    request: Request, session: SessionDep, slot: str | None = None, user: User = MARKETER
) -> dict[str, Any]:
    return {"user": user, "error": None, **_editor(session, slot)}


@router.post("/content", include_in_schema=False)
def publish(
    request: Request,
    session: SessionDep,
    document: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
    user: User = MARKETER,
) -> Response:
    try:
        parsed = SlotContent.parse(json.loads(document))
    except json.JSONDecodeError as exc:
        error = ValidationFailed(f"not valid JSON: {exc.msg} (line {exc.lineno})", field="document")
        return _with_error(request, session, user, document, error)
    except ValidationFailed as error:
        return _with_error(request, session, user, document, error)
    do_publish_content(session, parsed, author=user.email, note=note or None)
    return RedirectResponse(f"/content?slot={parsed.slot}", status_code=303)


def _with_error(
    request: Request, session: SessionDep, user: User, text: str, error: ValidationFailed
) -> Response:
    data = {"user": user, **_editor(session, None), "document": text, "error": error}
    return render_html(request, "content.html", data, status=422)
