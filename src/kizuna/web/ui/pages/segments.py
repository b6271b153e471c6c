"""The Segments page: the AND/OR predicate tree as a JSON document with a palette that inserts
predicates, a live count (and sample members) through ``/segments/count.json`` as the marketer
types, saving, the list of saved segments and the export of members as CSV."""

from __future__ import annotations

import io
import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, Form, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from kizuna.accounts.models import User
from kizuna.analytics.queries import (
    count_segment,
    export_segment,
    saved_segment,
    saved_segments,
    segment_sample,
)
from kizuna.analytics.segments.definition import SegmentDefinition, labels
from kizuna.analytics.segments.predicates import describe
from kizuna.analytics.snapshots import current_policy, do_save_segment
from kizuna.kit.errors import KizunaError, ValidationFailed
from kizuna.web.analytics_scope import bench_of, scope
from kizuna.web.deps import SessionDep, require_role
from kizuna.web.ui.render import language_of, page, render_html

router = APIRouter(include_in_schema=False)
MARKETER = require_role("marketer")
# What the palette inserts for each predicate type (the builder's presets, as data).
EXAMPLES: dict[str, dict[str, Any]] = {
    "rank": {"type": "rank", "ranks": ["loyal", "best"]},
    "rfm": {"type": "rfm", "score": "r_score", "min": 4, "max": 5},
    "field": {"type": "field", "field": "spend_12m", "min": 30000},
    "spend_in_window": {"type": "spend_in_window", "days": 90, "measure": "spend", "min": 10000},
    "purchase_date": {"type": "purchase_date", "which": "last", "on_or_after": "2026-01-01"},
    "bought": {"type": "bought", "categories": ["coffee"], "within_days": 180},
    "viewed": {"type": "viewed", "categories": ["coffee"], "within_days": 30},
    "cart_abandoned": {"type": "cart_abandoned", "within_days": 7},
    "subscription": {"type": "subscription", "status": "active"},
    "member": {"type": "member", "is_member": True},
    "channel_used": {"type": "channel_used", "channels": ["store"]},
    "age_band": {"type": "age_band", "bands": ["30s", "40s"]},
    "gender": {"type": "gender", "values": ["female"]},
    "prefecture": {"type": "prefecture", "values": ["東京都"]},
    "occupation": {"type": "occupation", "values": ["会社員"]},
    "consent": {"type": "consent", "channel": "email", "granted": True},
    "problem": {"type": "problem", "is_problem": False},
    "clv": {"type": "clv", "measure": "clv", "min": 50000},
    "churn_risk": {"type": "churn_risk", "min": 0.7},
}
STARTER = {
    "name": "優良顧客の離脱リスク / Loyal at risk",
    "where": {"type": "all", "of": [EXAMPLES["rank"], EXAMPLES["consent"]]},
}


def parse_definition(text: str | bytes) -> SegmentDefinition:
    """A segment document typed in the builder (ValidationFailed names the field)."""
    try:
        return SegmentDefinition.from_data(json.loads(text))
    except json.JSONDecodeError as exc:
        raise ValidationFailed(
            f"not valid JSON: {exc.msg} (line {exc.lineno})", field="document"
        ) from None


def _pretty(definition: SegmentDefinition) -> str:
    data = definition.model_dump(mode="json", exclude_none=True)
    return json.dumps(data, ensure_ascii=False, indent=2)


def _saved(session: Session) -> list[dict[str, Any]]:
    return [
        {"id": s.id, "name": s.name, "version": s.version, "author": s.author,
         "updated_at": s.updated_at}
        for s in saved_segments(session)
    ]  # fmt: skip


@page(router, "/segments", "segments.html")
def segments_page(
    request: Request,
    session: SessionDep,
    load: int | None = None,
    as_of: str | None = None,
    user: User = MARKETER,
) -> dict[str, Any]:
    here = scope(request, session, as_of)
    definition = saved_segment(session, load)[1] if load else parse_definition(json.dumps(STARTER))
    return {
        "user": user,
        "as_of": here.as_of,
        "currency": here.currency,
        "loaded": load,
        "document": _pretty(definition),
        "labels": labels(definition.where),
        "palette": [
            {**item, "example": EXAMPLES.get(item["type"])}
            for item in describe()
            if item["type"] in EXAMPLES or not item["available"]
        ],
        "saved": _saved(session),
        "rank_labels": {
            rule.rank: rule.label_ja if language_of(request) == "ja" else rule.label_en
            for rule in here.policy.rules
        },
        "error": None,
    }


@router.post("/segments/count.json", include_in_schema=False)
def live_count(
    request: Request,
    session: SessionDep,
    document: Annotated[dict[str, Any], Body()],
    as_of: str | None = None,
    user: User = MARKETER,
) -> Response:
    """The builder's live count: members, share, split by rank, and sample members."""
    try:
        definition = SegmentDefinition.from_data(document)
        here = scope(request, session, as_of)
        url = bench_of(request, session).url
        counted = count_segment(definition, as_of=here.as_of, policy=here.policy,
                                session=session, database_url=url, by_rank=True)  # fmt: skip
        members = segment_sample(definition, as_of=here.as_of, policy=here.policy,
                                 database_url=url, limit=10)  # fmt: skip
    except KizunaError as error:
        return JSONResponse({"error": error.to_dict()}, status_code=error.http_status)
    data = {**counted.to_dict(), "labels": labels(definition.where), "sample": members}
    return JSONResponse(jsonable_encoder(data))


@router.post("/segments", include_in_schema=False)
def save_segment(
    request: Request,
    session: SessionDep,
    document: Annotated[str, Form()],
    user: User = MARKETER,
) -> Response:
    """Save the definition under its name (a new version when the name exists)."""
    try:
        definition = parse_definition(document)
    except ValidationFailed as error:
        data = segments_page(request=request, session=session, user=user)
        data.update(document=document, error=error)
        return render_html(request, "segments.html", data, status=422)
    row = do_save_segment(session, definition.name, definition, author=user.email)
    return RedirectResponse(f"/segments?load={row.id}&saved={row.version}", status_code=303)


@router.get("/segments/{segment_id}/export.csv", include_in_schema=False)
def export_members(
    request: Request,
    session: SessionDep,
    segment_id: int,
    as_of: str | None = None,
    user: User = MARKETER,
) -> Response:
    """The members of a saved segment as CSV."""
    _row, definition = saved_segment(session, segment_id)
    here = scope(request, session, as_of)
    buffer = io.BytesIO()
    export_segment(definition, buffer, as_of=here.as_of, policy=current_policy(session),
                   session=session, database_url=here.bench.url)  # fmt: skip
    filename = f"segment-{segment_id}-{here.as_of:%Y%m%d}.csv"
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
