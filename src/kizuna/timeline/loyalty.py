"""Timeline source: the customer's points ledger entries (earned, spent, held, reversed,
expired, adjusted by whom and why) and stage changes with their reasons. No writes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.loyalty.ledger.models import PointEntry
from kizuna.loyalty.models import StageChange
from kizuna.loyalty.versions import active_programme

if TYPE_CHECKING:
    from kizuna.timeline.queries import TimelineEntry


def points_and_stages(session: Session, customer_id: int, limit: int) -> list[TimelineEntry]:
    """The customer's newest ``limit`` ledger entries and stage changes as timeline entries."""
    from kizuna.timeline.queries import TimelineEntry  # (queries imports this module)

    entries = session.scalars(
        select(PointEntry)
        .where(PointEntry.customer_id == customer_id)
        .order_by(PointEntry.id.desc())
        .limit(limit)
    )
    out = [
        TimelineEntry(
            e.created_at,
            "points",
            e.kind,
            {
                "kind": e.kind,
                "points": e.points,
                "reason": e.reason,
                "actor": e.actor,
                "note": e.note,
                "link": f"{e.link_type}:{e.link_ref}" if e.link_type else None,
            },
        )
        for e in entries
    ]
    names = {s.code: {"ja": s.name_ja, "en": s.name_en} for s in active_programme(session).stages}
    changes = session.scalars(
        select(StageChange)
        .where(StageChange.customer_id == customer_id)
        .order_by(StageChange.at.desc(), StageChange.id.desc())
        .limit(limit)
    )
    out += [
        TimelineEntry(
            c.at,
            "stage",
            c.to_stage,
            {
                "from": c.from_stage,
                "to": c.to_stage,
                "from_name": names.get(c.from_stage or ""),
                "to_name": names.get(c.to_stage),
                "reason": c.reason,
                "qualifying": c.qualifying,
                "actor": c.actor,
            },
        )
        for c in changes
    ]
    return out
