"""Rank policy → one Ibis CASE expression; ``ranks_as_of`` and the rank distribution.

Business question: which rank is each customer in at the end of a given day, and how many
customers (and how much of the last 12 months' revenue) does each rank hold?

Grain of ``ranks_as_of``: one row per customer of the summary (``customer_id``, ``rank``,
``rank_level`` and every summary and RFM column, so a caller can explain the rank).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

import ibis
import ibis.expr.types as ir
from ibis.backends import BaseBackend

from kizuna.analytics.backends import materialize
from kizuna.analytics.ranks.policy import (
    AllOf,
    AnyOf,
    Compare,
    Not,
    RankIs,
    RankPolicy,
    default_policy,
)
from kizuna.analytics.rfm import rfm_scores
from kizuna.analytics.summary import customer_summary


def _literal(table: ir.Table, field: str, value: Any) -> Any:
    if table[field].type().is_date() and isinstance(value, str):
        return ibis.date(value)
    return value


def condition_expr(node: Any, table: ir.Table, policy: RankPolicy) -> ir.BooleanValue:
    """The boolean Ibis expression of a rule condition over ``table`` (summary + RFM)."""
    if isinstance(node, Compare):
        column = table[node.field]
        if node.op == "is_null":
            return column.isnull()
        if node.op == "not_null":
            return column.notnull()
        value = _literal(table, node.field, node.value)
        ops = {
            "==": column.__eq__,
            "!=": column.__ne__,
            "<": column.__lt__,
            "<=": column.__le__,
            ">": column.__gt__,
            ">=": column.__ge__,
        }
        return ops[node.op](value)
    if isinstance(node, AllOf):
        parts = [condition_expr(child, table, policy) for child in node.of]
        return ibis.and_(*parts)
    if isinstance(node, AnyOf):
        parts = [condition_expr(child, table, policy) for child in node.of]
        return ibis.or_(*parts)
    if isinstance(node, Not):
        return ~condition_expr(node.of, table, policy)
    if isinstance(node, RankIs):
        return condition_expr(policy.rule(node.rank).when, table, policy)
    raise TypeError(f"unknown condition {node!r}")


def rank_expr(policy: RankPolicy, table: ir.Table) -> ir.StringValue:
    """``CASE WHEN rule1 THEN 'rank1' … ELSE last rank END`` (a null condition is false)."""
    branches = [
        (condition_expr(rule.when, table, policy).fill_null(False), rule.rank)
        for rule in policy.rules
        if rule.when is not None
    ]
    fallback = policy.rules[-1].rank
    if not branches:
        return ibis.literal(fallback)
    return ibis.cases(*branches, else_=fallback)


def level_expr(policy: RankPolicy, rank: ir.StringValue) -> ir.IntegerValue:
    """The ladder level of a rank column (null for ranks off the ladder)."""
    pairs = [(rank == key, level) for key, level in policy.levels().items() if level is not None]
    return ibis.cases(*pairs, else_=ibis.null("int64")).cast("int64")


def apply_policy(summary: ir.Table, policy: RankPolicy) -> ir.Table:
    """``summary`` with RFM scores, ``rank`` and ``rank_level`` added."""
    scored = rfm_scores(summary, policy.rfm)
    ranked = scored.mutate(rank=rank_expr(policy, scored))
    return ranked.mutate(rank_level=level_expr(policy, ranked["rank"]))


def ranks_as_of(
    con: BaseBackend,
    as_of: date,
    policy: RankPolicy | None = None,
    *,
    zone: str | None = None,
    materialized: bool = True,
) -> ir.Table:
    """Every customer's rank at the end of ``as_of`` under ``policy`` (default: DESIGN's).

    With ``materialized`` (the default) the summary is computed once into a session table
    (``kizuna_summary_<date>``) and the ranks read it; without, the result is one expression.
    """
    policy = policy or default_policy()
    summary = customer_summary(con, as_of, window_days=policy.window_days, zone=zone)
    if materialized:
        summary = materialize(con, summary, f"kizuna_summary_{as_of:%Y%m%d}_{policy.window_days}")
    return apply_policy(summary, policy)


@dataclass(frozen=True)
class RankCount:
    """One rank's row in the distribution."""

    rank: str
    label_ja: str
    label_en: str
    level: int | None
    customers: int
    share: float
    spend_12m: int
    revenue_share: float

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return asdict(self)


def distribution(ranked: ir.Table, policy: RankPolicy) -> list[RankCount]:
    """Customers and 12-month revenue per rank, in the policy's rule order (zeros included)."""
    counts = ranked.group_by("rank").agg(customers=ranked.count(), spend_12m=ranked.spend_12m.sum())
    rows = {row["rank"]: row for row in counts.to_pyarrow().to_pylist()}
    total = sum(int(row["customers"]) for row in rows.values()) or 1
    revenue = sum(int(row["spend_12m"] or 0) for row in rows.values()) or 1
    out = []
    for rule in policy.rules:
        row = rows.get(rule.rank, {"customers": 0, "spend_12m": 0})
        customers, spend = int(row["customers"]), int(row["spend_12m"] or 0)
        out.append(
            RankCount(
                rule.rank,
                rule.label_ja,
                rule.label_en,
                rule.level,
                customers,
                customers / total,
                spend,
                spend / revenue,
            )
        )
    return out


def rank_distribution(
    con: BaseBackend, as_of: date, policy: RankPolicy | None = None
) -> list[RankCount]:
    """``kizuna ranks``: how many customers each rank holds at the end of ``as_of``."""
    policy = policy or default_policy()
    return distribution(ranks_as_of(con, as_of, policy), policy)
