"""Analytics API: the rank distribution, the migration matrix, the strategy table and segment
counts, for the shop's developer and data person (API key scope ``customers:read``: the
figures describe customers). The same documents as the dashboard's JSON twins."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.encoders import jsonable_encoder

from kizuna.analytics.queries import count_segment, saved_segment, saved_segments, segment_sample
from kizuna.analytics.reports import migration_report, rank_distribution, strategy_report
from kizuna.analytics.segments.definition import SegmentDefinition
from kizuna.kit.errors import ValidationFailed
from kizuna.web.analytics_scope import parse_day, scope
from kizuna.web.deps import SessionDep, api_key

router = APIRouter(prefix="/api", tags=["analytics"])
READ = Depends(api_key("customers:read"))
AsOf = Annotated[str | None, Query(description="YYYY-MM-DD (end of that day); default today")]


@router.get("/ranks", dependencies=[READ])
def ranks(request: Request, session: SessionDep, as_of: AsOf = None) -> dict[str, Any]:
    """Customers, share and 12-month revenue per rank."""
    here = scope(request, session, as_of)
    return {
        "as_of": here.as_of.isoformat(),
        "policy_version": here.policy.version,
        "ranks": rank_distribution(here.bench, here.as_of, here.policy),
    }


@router.get("/ranks/migration", dependencies=[READ])
def migration(
    request: Request,
    session: SessionDep,
    start: Annotated[str, Query(alias="from")],
    end: Annotated[str, Query(alias="to")],
    source: str = "auto",
) -> dict[str, Any]:
    """Customers and revenue per (from rank, to rank) between two days."""
    if source not in ("auto", "snapshots", "recompute"):
        raise ValidationFailed("source is auto, snapshots or recompute", field="source")
    here = scope(request, session, end)
    first = parse_day(start, "from")
    return migration_report(here.bench, first, here.as_of, here.policy, source)  # type: ignore[arg-type]


@router.get("/ranks/strategy", dependencies=[READ])
def strategy(request: Request, session: SessionDep, as_of: AsOf = None) -> dict[str, Any]:
    """The strategy support table and the three policies' KPIs."""
    here = scope(request, session, as_of)
    return strategy_report(here.bench, here.as_of, here.policy)


@router.post("/segments/count", dependencies=[READ])
def count(
    request: Request,
    session: SessionDep,
    definition: Annotated[dict[str, Any], Body(description="A segment document")],
    as_of: AsOf = None,
    sample: int = Query(default=0, ge=0, le=100),
) -> dict[str, Any]:
    """How many customers a segment document selects (split by rank), with sample members."""
    parsed = SegmentDefinition.from_data(definition)
    return _count(request, session, parsed, as_of, sample)


@router.get("/segments", dependencies=[READ])
def saved(session: SessionDep) -> dict[str, Any]:
    """The saved segments with their definitions."""
    return {
        "items": [
            {"id": s.id, "name": s.name, "version": s.version, "definition": s.definition,
             "author": s.author, "updated_at": s.updated_at}
            for s in saved_segments(session)
        ]
    }  # fmt: skip


@router.get("/segments/{segment_id}/count", dependencies=[READ])
def saved_count(
    request: Request, session: SessionDep, segment_id: int, as_of: AsOf = None
) -> dict[str, Any]:
    """The live count of a saved segment."""
    return _count(request, session, saved_segment(session, segment_id)[1], as_of, 0)


def _count(
    request: Request, session: SessionDep, definition: SegmentDefinition, as_of: str | None,
    limit: int,
) -> dict[str, Any]:  # fmt: skip
    here = scope(request, session, as_of)
    args = {"as_of": here.as_of, "policy": here.policy, "database_url": here.bench.url}
    counted = count_segment(definition, session=session, by_rank=True, **args)  # type: ignore[arg-type]
    members = segment_sample(definition, limit=limit, **args) if limit else []  # type: ignore[arg-type]
    return jsonable_encoder({"as_of": here.as_of, **counted.to_dict(), "sample": members})
