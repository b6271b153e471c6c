"""What the campaign builder reads: the live audience count of a saved segment or an inline
definition (the analytics engine over the committed record), the saved segments to pick from,
and the campaigns with their status and counts. No writes."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.analytics.models import SavedSegment
from kizuna.automation.journeys.models import Campaign
from kizuna.kit.errors import NotFound, ValidationFailed

TEMPLATES = ("newsletter", "dormant_offer")
CHANNELS = ("auto", "email", "sms", "line", "push", "postal")


def saved_segments(session: Session) -> list[dict[str, Any]]:
    """The saved segments by name, with their version."""
    rows = session.execute(
        select(SavedSegment.name, SavedSegment.version).order_by(SavedSegment.name)
    )
    return [{"name": name, "version": version} for name, version in rows]


def segment_document(
    session: Session, segment: str | None, definition: dict[str, Any] | None
) -> dict[str, Any]:
    """The segment definition: the inline one, else the saved segment named ``segment``."""
    if definition is not None:
        return as_definition(definition)
    if not segment:
        raise ValidationFailed("pick a saved segment or write a definition", field="segment")
    found = session.scalar(select(SavedSegment.definition).where(SavedSegment.name == segment))
    if found is None:
        raise NotFound(f"no saved segment named {segment!r}", field="segment")
    return dict(found)


def as_definition(tree: dict[str, Any]) -> dict[str, Any]:
    """A segment definition document from a whole document or a bare predicate tree."""
    return tree if "where" in tree else {"name": "campaign audience", "where": tree}


def audience_count(
    session: Session, *, segment: str | None = None, definition: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The builder's live count: members, everyone, share, by rank and the seconds it took
    (on the analytics workbench, whose ranked base of the day is built once and reused)."""
    from kizuna.analytics.queries import count_segment
    from kizuna.analytics.segments.definition import SegmentDefinition

    document = segment_document(session, segment, definition)
    try:
        parsed = SegmentDefinition.model_validate(document)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "definition"
        raise ValidationFailed(f"{where}: {first['msg']}", field=f"definition.{where}") from exc
    url = session.get_bind().engine.url.render_as_string(hide_password=False)
    result = count_segment(parsed, session=session, database_url=url, by_rank=True)
    return {**result.to_dict(), "segment": segment if definition is None else None}


def list_campaigns(session: Session, *, limit: int = 100) -> list[dict[str, Any]]:
    """The newest campaigns: key, name, status, schedule, when sent and the send counts."""
    rows = session.scalars(select(Campaign).order_by(Campaign.id.desc()).limit(limit))
    return [
        {
            "key": c.key,
            "name": c.name,
            "status": c.status,
            "scheduled_at": c.scheduled_at,
            "sent_at": c.sent_at,
            "created_by": c.created_by,
            "audience": (c.result or {}).get("audience"),
            "pending": (c.result or {}).get("pending"),
            "dropped": (c.result or {}).get("dropped"),
            "holdout": (c.result or {}).get("holdout"),
            "channel": (c.document or {}).get("channel"),
            "variants": [v.get("name") for v in (c.document or {}).get("variants", [])],
        }
        for c in rows
    ]
