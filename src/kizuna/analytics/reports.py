"""The dashboard's and the CLI's analytics documents, memoised on a ``queries.Workbench``.

Each function returns plain JSON-ready data (the pages' JSON twins are exactly this): the rank
distribution, the migration matrix between two days, the strategy table with the three
policies' KPIs, cohort retention and the acquisition funnel. The computations are the named
expressions of ``ranks``, ``kpis``, ``cohorts`` and ``funnel``; this module only chooses the
history source, shapes the result and remembers it for the record's current version.
"""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise
from typing import Any, Literal

import ibis

from kizuna.analytics.backends import scalar
from kizuna.analytics.cohorts import retention, retention_matrix
from kizuna.analytics.funnel import acquisition_funnel
from kizuna.analytics.kpis import (
    StrategyRow,
    month_ends,
    new_customers_per_month,
    rank_moves_per_month,
    strategy_rows,
)
from kizuna.analytics.queries import Workbench, policy_key
from kizuna.analytics.ranks.evaluate import RankCount, distribution
from kizuna.analytics.ranks.history import NONE, MigrationCell, Source, direction, migration_matrix
from kizuna.analytics.ranks.policy import RankPolicy
from kizuna.kit.errors import ValidationFailed
from kizuna.settings import get_settings

SourceChoice = Literal["auto", "snapshots", "recompute"]


def has_snapshot_by(bench: Workbench, day: date) -> bool:
    """Whether a rank snapshot was taken on or before ``day``."""
    with bench.lock:  # every use of the connection holds the lock: DuckDB is not thread-safe
        runs = bench.con.table("analytics_snapshot_runs")
        return bool(scalar(runs.filter(runs.as_of <= ibis.date(day)).count()))


def choose_source(bench: Workbench, start: date, wanted: SourceChoice) -> Source:
    """``snapshots`` when asked (and present), ``recompute`` before any snapshot exists."""
    present = has_snapshot_by(bench, start)
    if wanted == "snapshots" and not present:
        raise ValidationFailed(
            f"no rank snapshot on or before {start.isoformat()}; take one with "
            "`kizuna snapshot` or use the recompute source",
            field="from",
        )
    if wanted == "auto":
        return "snapshots" if present else "recompute"
    return wanted


def _distribution(bench: Workbench, as_of: date, policy: RankPolicy) -> list[RankCount]:
    def compute() -> list[RankCount]:
        return distribution(bench.base(as_of, policy).table, policy)

    return bench.remember(("distribution", as_of, policy_key(policy)), compute)


def rank_distribution(bench: Workbench, as_of: date, policy: RankPolicy) -> list[dict[str, Any]]:
    """Customers, share and 12-month revenue per rank (policy order, zeros included)."""
    rules = {rule.rank: rule for rule in policy.rules}
    return [
        {
            **row.to_dict(),
            "label_ja": rules[row.rank].label_ja,
            "label_en": rules[row.rank].label_en,
        }
        for row in _distribution(bench, as_of, policy)
    ]


def _cells(
    bench: Workbench, start: date, end: date, policy: RankPolicy, source: Source
) -> list[MigrationCell]:
    """The migration cells; recomputed ranks come from the workbench's memoised day bases."""

    def compute() -> list[MigrationCell]:
        zone = get_settings().shop_timezone
        if source == "snapshots":
            return migration_matrix(bench.con, start, end, policy, source=source, zone=zone)
        ranks = (bench.base(start, policy).table, bench.base(end, policy).table)
        return migration_matrix(bench.con, start, end, policy, zone=zone, ranks=ranks)

    with bench.lock:
        return bench.remember(("cells", start, end, policy_key(policy), source), compute)


def migration_report(
    bench: Workbench, start: date, end: date, policy: RankPolicy, source: SourceChoice = "auto"
) -> dict[str, Any]:
    """The from→to matrix (customers and revenue in (start, end]) and its heatmap grid."""
    if end <= start:
        raise ValidationFailed("the end day must come after the start day", field="to")
    chosen = choose_source(bench, start, source)
    cells = _cells(bench, start, end, policy, chosen)
    ranks = [NONE, *policy.ranks]
    grid = {(c.from_rank, c.to_rank): c.customers for c in cells}
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "source": chosen,
        "cells": [c.to_dict() for c in cells],
        "ranks": ranks,
        "matrix": [[grid.get((a, b), 0) for b in ranks] for a in ranks],
    }


def moves_per_month(
    bench: Workbench, as_of: date, policy: RankPolicy, months: int
) -> list[dict[str, Any]]:
    """Grain: (month, from rank, to rank): upgrades and downgrades between month ends, from
    the ranks recomputed once per month end on the workbench (before snapshots exist)."""
    out: list[dict[str, Any]] = []
    for before, after in pairwise(month_ends(as_of, months)):
        a = bench.base(before, policy).table.select("customer_id", from_rank="rank")
        b = bench.base(after, policy).table.select("customer_id", to_rank="rank")
        pairs = a.inner_join(b, "customer_id")
        moved = pairs.filter(pairs.from_rank != pairs.to_rank)
        counts = moved.group_by(["from_rank", "to_rank"]).agg(customers=moved.count())
        rows = counts.to_pyarrow().to_pylist()
        for r in sorted(rows, key=lambda r: (r["from_rank"], r["to_rank"])):
            way = direction(policy, r["from_rank"], r["to_rank"])
            if way in ("up", "down"):
                out.append({"month": f"{after:%Y-%m}", "from_rank": r["from_rank"],
                            "to_rank": r["to_rank"], "customers": int(r["customers"]),
                            "direction": way})  # fmt: skip
    return out


def _monthly_moves(
    bench: Workbench, as_of: date, policy: RankPolicy, months: int, recompute: bool
) -> tuple[list[dict[str, Any]] | None, str | None]:
    """(moves, source): from the snapshots when they reach back far enough; recomputed month
    end by month end only when asked (it evaluates the policy at 13 days); else none."""
    if choose_source(bench, month_ends(as_of, months)[0], "auto") == "snapshots":
        return rank_moves_per_month(bench.con, as_of, policy, months=months, source="snapshots"), (
            "snapshots"
        )
    if recompute:
        return moves_per_month(bench, as_of, policy, months), "recompute"
    return None, None


def strategy_report(
    bench: Workbench,
    as_of: date,
    policy: RankPolicy,
    *,
    period_days: int = 90,
    months: int = 12,
    monthly_moves: bool = False,
) -> dict[str, Any]:
    """The strategy table and the KPIs of the three policies (keep, raise, win).

    The figures are remembered per rank rules; the services and targets shown are always the
    policy's current ones (editing them recomputes nothing)."""
    start = as_of - timedelta(days=period_days)
    source = choose_source(bench, start, "auto")

    def compute() -> dict[str, Any]:
        cells = _cells(bench, start, as_of, policy, source)
        table = strategy_rows(policy, _distribution(bench, as_of, policy), cells)
        moves, moves_source = _monthly_moves(bench, as_of, policy, months, monthly_moves)
        new = new_customers_per_month(bench.con, as_of, months=months)
        upgraded = sum(c.customers for c in cells if c.direction == "up")
        data = _strategy_document(as_of, policy, period_days, months, source, table, new)
        data["raise"] = {
            "upgrades_per_month": upgraded / (period_days / 30.4375),
            "moves": moves,
            "moves_source": moves_source,
        }
        return data

    with bench.lock:
        key = ("strategy", as_of, policy_key(policy), period_days, months, monthly_moves)
        data = bench.remember(key, compute)
    rules = {rule.rank: rule for rule in policy.rules}
    rows = [
        {**row, "services": rules[row["rank"]].services,
         "target": rules[row["rank"]].target.model_dump(exclude_none=True),
         "label_ja": rules[row["rank"]].label_ja, "label_en": rules[row["rank"]].label_en}
        for row in data["table"]
    ]  # fmt: skip
    return {**data, "table": rows}


def _strategy_document(
    as_of: date,
    policy: RankPolicy,
    period_days: int,
    months: int,
    source: Source,
    table: list[StrategyRow],
    new: list[dict[str, Any]],
) -> dict[str, Any]:
    judged = sum(m["judged"] for m in new)
    again = sum(
        round(m["second_purchase_rate"] * m["judged"])
        for m in new
        if m["second_purchase_rate"] is not None
    )
    lost = {rule.rank for rule in policy.rules if rule.lost}
    active = [r for r in table if r.level is not None and r.rank not in lost]
    began = sum(r.customers_at_start for r in active)
    churned = sum(round((r.churn_rate or 0) * r.customers_at_start) for r in active)
    return {
        "as_of": as_of.isoformat(),
        "period_days": period_days,
        "source": source,
        "table": [r.to_dict() for r in table],
        "keep": {
            "churn_rate": churned / began if began else None,
            "by_rank": [{"rank": r.rank, "churn_rate": r.churn_rate} for r in table],
        },
        "win": {
            "new_customers_per_month": sum(m["new_customers"] for m in new) / months,
            "second_purchase_rate": again / judged if judged else None,
            "months": new,
        },
    }


def cohort_report(bench: Workbench, as_of: date, months: int = 12) -> dict[str, Any]:
    """Retention by first-purchase month as a heatmap document, with each cohort's revenue."""

    def compute() -> dict[str, Any]:
        cells = retention(bench.con, as_of, months=months, zone=get_settings().shop_timezone)
        revenue: dict[str, int] = {}
        for c in cells:
            revenue[c.cohort] = revenue.get(c.cohort, 0) + c.revenue
        matrix = retention_matrix(cells)
        matrix["revenue"] = [revenue[name] for name in matrix["cohorts"]]
        return {"as_of": as_of.isoformat(), "months": months, **matrix}

    with bench.lock:
        return bench.remember(("cohorts", as_of, months), compute)


def funnel_report(bench: Workbench, as_of: date, months: int = 12) -> dict[str, Any]:
    """Visitor → lead → hot lead → new customer per month, with the step rates."""

    def compute() -> dict[str, Any]:
        rows = acquisition_funnel(
            bench.con, as_of, months=months, zone=get_settings().shop_timezone
        )
        return {"as_of": as_of.isoformat(), "months": [r.to_dict() for r in rows]}

    with bench.lock:
        return bench.remember(("funnel", as_of, months), compute)
