"""The strategy support table (EC用顧客マネジメント戦略策定サポート表) and the three policies' KPIs.

Business questions, per DESIGN.md:

* the table: per rank, how many customers now, what share of the last 12 months' revenue, how
  many of the rank's customers ``period_days`` ago have since churned (moved to a ``lost`` rank)
  or moved up, their average 12-month spend, the services given to the rank and the target;
* keep existing customers: churn rate by rank (from the table);
* raise customers: upgrades and downgrades per month by rank pair;
* win new customers: new customers per month (first purchase) and their second-purchase rate
  within 90 days (only customers whose first purchase is at least 90 days old are judged).
"""

from __future__ import annotations

import calendar
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

import ibis
from ibis import _
from ibis.backends import BaseBackend

from kizuna.analytics.ranks.evaluate import RankCount, distribution, ranks_as_of
from kizuna.analytics.ranks.history import (
    MigrationCell,
    Source,
    migration_matrix,
    monthly_transitions,
)
from kizuna.analytics.ranks.policy import RankPolicy, default_policy
from kizuna.analytics.summary import customer_days


@dataclass(frozen=True)
class StrategyRow:
    """One rank's line of the strategy table."""

    rank: str
    label_ja: str
    label_en: str
    level: int | None
    customers: int
    share_of_customers: float
    revenue_12m: int
    share_of_revenue: float
    average_spend_12m: float
    customers_at_start: int
    churn_rate: float | None
    upgrade_rate: float | None
    services: str
    target: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return asdict(self)


def strategy_table(
    con: BaseBackend,
    as_of: date,
    policy: RankPolicy | None = None,
    *,
    period_days: int = 90,
    source: Source = "recompute",
) -> list[StrategyRow]:
    """The strategy table at the end of ``as_of``; rates over the ``period_days`` before it."""
    policy = policy or default_policy()
    now = distribution(ranks_as_of(con, as_of, policy), policy)
    start = as_of - timedelta(days=period_days)
    moves = migration_matrix(con, start, as_of, policy, source=source)
    return strategy_rows(policy, now, moves)


def strategy_rows(
    policy: RankPolicy, distribution_now: list[RankCount], moves: list[MigrationCell]
) -> list[StrategyRow]:
    """The strategy table from the rank distribution now and the migration over the period."""
    now = {row.rank: row for row in distribution_now}
    lost = {rule.rank for rule in policy.rules if rule.lost}
    rows = []
    for rule in policy.rules:
        cells = [c for c in moves if c.from_rank == rule.rank and c.to_rank != "(none)"]
        began = sum(c.customers for c in cells)
        churned = sum(c.customers for c in cells if c.to_rank in lost and c.to_rank != rule.rank)
        upgraded = sum(c.customers for c in cells if c.direction == "up")
        here = now[rule.rank]
        rows.append(
            StrategyRow(
                rule.rank,
                rule.label_ja,
                rule.label_en,
                rule.level,
                here.customers,
                here.share,
                here.spend_12m,
                here.revenue_share,
                here.spend_12m / here.customers if here.customers else 0.0,
                began,
                churned / began if began else None,
                upgraded / began if began and rule.level is not None else None,
                rule.services,
                rule.target.model_dump(exclude_none=True),
            )
        )
    return rows


def month_ends(as_of: date, months: int) -> list[date]:
    """The last day of each of the ``months`` months before ``as_of``'s month, then ``as_of``."""
    ends = []
    year, month = as_of.year, as_of.month
    for _i in range(months):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        ends.append(date(year, month, calendar.monthrange(year, month)[1]))
    return [*reversed(ends), as_of]


def rank_moves_per_month(
    con: BaseBackend,
    as_of: date,
    policy: RankPolicy | None = None,
    *,
    months: int = 12,
    source: Source = "recompute",
) -> list[dict[str, Any]]:
    """Grain: (month, from rank, to rank) for upgrades and downgrades (raise customers)."""
    policy = policy or default_policy()
    if source == "snapshots":
        since = month_ends(as_of, months)[0]
        rows = monthly_transitions(con, policy, since=since)
        return [r for r in rows if r["direction"] in ("up", "down")]
    out = []
    ends = month_ends(as_of, months)
    for before, after in pairwise(ends):
        for cell in migration_matrix(con, before, after, policy, source="recompute"):
            if cell.direction in ("up", "down"):
                out.append(
                    {"month": f"{after:%Y-%m}", "from_rank": cell.from_rank,
                     "to_rank": cell.to_rank, "customers": cell.customers,
                     "direction": cell.direction}
                )  # fmt: skip
    return out


def new_customers_per_month(
    con: BaseBackend,
    as_of: date,
    *,
    months: int = 12,
    within_days: int = 90,
    zone: str | None = None,
) -> list[dict[str, Any]]:
    """Grain: first-purchase month. New customers, and how many bought again within
    ``within_days`` days (rate over those whose first purchase is old enough to judge)."""
    days = customer_days(con, as_of, zone)
    days = days.mutate(dayno=days.placed_day.epoch_days())
    order = ibis.row_number().over(group_by=days.customer_id, order_by=days.dayno)
    firsts = days.mutate(n=order).filter(_.n <= 1)
    per = firsts.group_by("customer_id").agg(
        first=_.dayno.min(),
        second=_.dayno.max(where=_.n == 1),
        first_day=_.placed_day.min(),
    )
    start = month_ends(as_of, months)[0] + timedelta(days=1)
    per = per.filter(per.first_day >= ibis.date(start))
    cut = as_of.toordinal() - date(1970, 1, 1).toordinal() - within_days
    again = per.second.notnull() & (per.second - per.first <= within_days)
    judged = per.first <= cut
    counts = per.group_by(year=per.first_day.year(), month=per.first_day.month()).agg(
        new_customers=_.count(),
        bought_again=ibis.ifelse(again, 1, 0).sum(),
        judged=ibis.ifelse(judged, 1, 0).sum(),
        judged_bought_again=ibis.ifelse(again & judged, 1, 0).sum(),
    )
    rows = counts.order_by(["year", "month"]).to_pyarrow().to_pylist()
    return [
        {
            "month": f"{r['year']:04d}-{r['month']:02d}",
            "new_customers": int(r["new_customers"]),
            "bought_again": int(r["bought_again"] or 0),
            "judged": int(r["judged"] or 0),
            "second_purchase_rate": (int(r["judged_bought_again"] or 0) / int(r["judged"]))
            if r["judged"]
            else None,
        }
        for r in rows
    ]


def policy_kpis(
    con: BaseBackend,
    as_of: date,
    policy: RankPolicy | None = None,
    *,
    months: int = 12,
    source: Source = "recompute",
) -> dict[str, Any]:
    """The three policies' KPIs: keep (churn by rank), raise (moves per month), win (new)."""
    policy = policy or default_policy()
    table = strategy_table(con, as_of, policy, source=source)
    return {
        "as_of": as_of.isoformat(),
        "keep": [
            {"rank": r.rank, "customers_at_start": r.customers_at_start, "churn_rate": r.churn_rate}
            for r in table
            if r.level is not None
        ],
        "raise": rank_moves_per_month(con, as_of, policy, months=months, source=source),
        "win": new_customers_per_month(con, as_of, months=months),
    }
