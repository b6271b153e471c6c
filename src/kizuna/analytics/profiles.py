"""Who the customers are: category affinity and breakdowns by age band, gender and prefecture.

Business questions: which categories does each customer (or a segment) buy, as a share of their
spend? How do customers, spend and ranks split by age band, gender and prefecture?

Grains: ``customer_affinity`` one row per (customer, category); ``category_affinity`` one row
per category; ``breakdown`` one row per group value.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Literal

import ibis
import ibis.expr.types as ir
from ibis import _
from ibis.backends import BaseBackend

from kizuna.analytics import staging

AGE_EDGES = ((None, 19, "under_20"), (20, 29, "20s"), (30, 39, "30s"), (40, 49, "40s"),
             (50, 59, "50s"), (60, 69, "60s"), (70, None, "70_plus"))  # fmt: skip


def _category_lines(
    con: BaseBackend, as_of: date, within_days: int | None, zone: str | None
) -> ir.Table:
    p = staging.purchases(con, as_of, zone)
    if within_days:
        p = p.filter(p.placed_day > ibis.date(as_of - timedelta(days=within_days)))
    lines = staging.order_lines(con)
    joined = lines.inner_join(p.select("order_id", "customer_id"), "order_id")
    return joined.mutate(category=joined.category.fill_null("(none)"))


def customer_affinity(
    con: BaseBackend, as_of: date, *, within_days: int | None = 365, zone: str | None = None
) -> ir.Table:
    """(customer_id, category, amount, share of the customer's line spend) up to ``as_of``."""
    lines = _category_lines(con, as_of, within_days, zone)
    per = lines.group_by(["customer_id", "category"]).agg(amount=_.amount.sum())
    total = per.amount.sum().over(group_by=per.customer_id)
    return per.mutate(share=ibis.ifelse(total > 0, per.amount / total, 0.0))


def category_affinity(
    con: BaseBackend,
    as_of: date,
    *,
    customers: ir.Table | None = None,
    within_days: int | None = 365,
    zone: str | None = None,
) -> list[dict[str, Any]]:
    """Per category: buyers, revenue and share of revenue (of ``customers``, e.g. a segment)."""
    lines = _category_lines(con, as_of, within_days, zone)
    if customers is not None:
        lines = lines.filter(lines.customer_id.isin(customers.customer_id))
    per = lines.group_by("category").agg(buyers=_.customer_id.nunique(), revenue=_.amount.sum())
    rows = per.order_by(ibis.desc("revenue")).to_pyarrow().to_pylist()
    total = sum(int(r["revenue"] or 0) for r in rows) or 1
    return [
        {"category": r["category"], "buyers": int(r["buyers"]), "revenue": int(r["revenue"] or 0),
         "share": int(r["revenue"] or 0) / total}
        for r in rows
    ]  # fmt: skip


def age_band(age: ir.IntegerValue) -> ir.StringValue:
    """The age band label of an age column (``unknown`` when missing)."""
    branches = []
    for low, high, label in AGE_EDGES:
        cond = age.notnull()
        if low is not None:
            cond &= age >= low
        if high is not None:
            cond &= age <= high
        branches.append((cond, label))
    return ibis.cases(*branches, else_="unknown")


def breakdown(
    base: ir.Table, by: Literal["age_band", "gender", "prefecture"]
) -> list[dict[str, Any]]:
    """Customers, 12-month spend and customers per rank for each value of ``by``, over a
    ranked summary (``ranks_as_of`` or a segment's members)."""
    key = age_band(base.age) if by == "age_band" else base[by].fill_null("unknown")
    t = base.mutate(group=key)
    totals = t.group_by("group").agg(customers=_.count(), spend_12m=_.spend_12m.sum())
    ranks = t.group_by(["group", "rank"]).agg(n=_.count()).to_pyarrow().to_pylist()
    mix: dict[str, dict[str, int]] = {}
    for r in ranks:
        mix.setdefault(r["group"], {})[r["rank"]] = int(r["n"])
    rows = totals.order_by(ibis.desc("customers")).to_pyarrow().to_pylist()
    return [
        {"group": r["group"], "customers": int(r["customers"]),
         "spend_12m": int(r["spend_12m"] or 0), "ranks": mix.get(r["group"], {})}
        for r in rows
    ]  # fmt: skip
