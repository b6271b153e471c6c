"""Segment definition → one Ibis filter; live count, sample members, CSV export.

Business question: how many customers match this definition right now, who are they, and what
does the segment look like (ranks, spend)?

Grain of ``segment_members``: one row per matching customer (the segment base columns).
The base (summary + RFM + rank, ``ranks_as_of``) is computed once per engine session and day
and reused, so the builder's live count only runs the predicates (``SegmentBase``).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import IO, Any

import ibis
import ibis.expr.types as ir
import pyarrow.csv as pacsv
from ibis.backends import BaseBackend

from kizuna.analytics.backends import materialize
from kizuna.analytics.ranks.evaluate import ranks_as_of
from kizuna.analytics.ranks.policy import RankPolicy
from kizuna.analytics.segments.definition import AllOf, AnyOf, NotOf, SegmentDefinition
from kizuna.analytics.segments.predicates import Context

EXPORT_COLUMNS = (
    "customer_id", "rank", "is_member", "orders", "purchase_days", "spend_total", "spend_12m",
    "first_purchase_day", "last_purchase_day", "recency_days", "r_score", "f_score", "m_score",
)  # fmt: skip


@dataclass
class SegmentBase:
    """The per-customer table segments filter, materialised once for an engine and a day."""

    con: BaseBackend
    as_of: date
    table: ir.Table
    zone: str | None = None

    @classmethod
    def build(
        cls,
        con: BaseBackend,
        as_of: date,
        policy: RankPolicy | None = None,
        zone: str | None = None,
    ) -> SegmentBase:
        """Compute the ranked summary of ``as_of`` on ``con`` (the slow part, done once)."""
        ranked = ranks_as_of(con, as_of, policy, zone=zone)
        return cls(
            con, as_of, materialize(con, ranked, f"kizuna_segment_base_{as_of:%Y%m%d}"), zone
        )

    def context(self) -> Context:
        """The predicate compilation context over this base."""
        return Context(self.con, self.as_of, self.table, self.zone)


def compile_node(node: Any, ctx: Context) -> ir.BooleanValue:
    """The boolean Ibis expression of a definition node (group or predicate)."""
    if isinstance(node, AllOf):
        return ibis.and_(*(compile_node(child, ctx) for child in node.of))
    if isinstance(node, AnyOf):
        return ibis.or_(*(compile_node(child, ctx) for child in node.of))
    if isinstance(node, NotOf):
        return ~compile_node(node.of, ctx)
    # Predicates never yield null (they test for missing values themselves), so no COALESCE
    # wraps them: PostgreSQL turns a bare ``IN (subquery)`` into a semi-join, not a sub-plan.
    return node.to_ibis(ctx)


def segment_members(base: SegmentBase, definition: SegmentDefinition) -> ir.Table:
    """The base rows of the customers in the segment."""
    return base.table.filter(compile_node(definition.where, base.context()))


@dataclass(frozen=True)
class SegmentCount:
    """The live count: members, everyone in the base, the share, and how long it took."""

    members: int
    customers: int
    share: float
    seconds: float
    by_rank: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (``kizuna segment count --json``, the builder's live count)."""
        return asdict(self)


def count(
    base: SegmentBase, definition: SegmentDefinition, *, by_rank: bool = False
) -> SegmentCount:
    """How many customers are in the segment (optionally split by rank)."""
    started = time.perf_counter()
    members = segment_members(base, definition)
    ranks: dict[str, int] = {}
    if by_rank:
        rows = members.group_by("rank").agg(n=members.count()).to_pyarrow().to_pylist()
        ranks = {r["rank"]: int(r["n"]) for r in rows}
        size = sum(ranks.values())
    else:
        size = int(members.count().to_pyarrow().as_py())
    total = int(base.table.count().to_pyarrow().as_py())
    return SegmentCount(
        size, total, size / total if total else 0.0, time.perf_counter() - started, ranks
    )


def sample(
    base: SegmentBase, definition: SegmentDefinition, limit: int = 20
) -> list[dict[str, Any]]:
    """Up to ``limit`` members (highest 12-month spend first) for the builder's preview."""
    members = segment_members(base, definition)
    ordered = members.order_by([ibis.desc("spend_12m"), "customer_id"]).limit(limit)
    return ordered.select(*EXPORT_COLUMNS).to_pyarrow().to_pylist()


def export_csv(
    base: SegmentBase, definition: SegmentDefinition, target: str | Path | IO[bytes]
) -> int:
    """Write the members as CSV (``EXPORT_COLUMNS``) to a path or binary stream; returns rows."""
    members = segment_members(base, definition).order_by("customer_id").select(*EXPORT_COLUMNS)
    table = members.to_pyarrow()
    pacsv.write_csv(table, target)
    return int(table.num_rows)
