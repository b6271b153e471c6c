"""Rank history: who was in which rank on a day, who moved between two days, moves per month.

Business questions: which customers moved up or slipped between two dates, and how much did
they spend in between (the migration matrix)? How many upgrades and downgrades happen per month
for each pair of ranks? How long do customers stay in a rank?

History comes from the snapshots (``analytics_rank_spells``, written by ``analytics.snapshots``)
or, with ``source="recompute"``, from the record itself by evaluating the policy at both dates
(useful before any snapshot exists; it applies today's policy to the past).
Grains are stated on each function.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any, Literal

import ibis
import ibis.expr.types as ir
from ibis import _
from ibis.backends import BaseBackend

from kizuna.analytics import staging
from kizuna.analytics.backends import materialize
from kizuna.analytics.ranks.evaluate import ranks_as_of
from kizuna.analytics.ranks.policy import RankPolicy, default_policy

NONE = "(none)"
Source = Literal["snapshots", "recompute"]


def ranks_at(con: BaseBackend, day: date) -> ir.Table:
    """One row per customer with a snapshot rank in force on ``day`` (``customer_id``, ``rank``)."""
    spells = con.table("analytics_rank_spells")
    d = ibis.date(day)
    live = (spells.valid_from <= d) & (spells.valid_to.isnull() | (spells.valid_to > d))
    return spells.filter(live).select("customer_id", "rank")


def _ranks(con: BaseBackend, day: date, policy: RankPolicy, source: Source) -> ir.Table:
    if source == "snapshots":
        return ranks_at(con, day)
    ranked = ranks_as_of(con, day, policy).select("customer_id", "rank")
    return materialize(con, ranked, f"kizuna_ranks_{day:%Y%m%d}")


def direction(policy: RankPolicy, before: str, after: str) -> str:
    """``up``, ``down``, ``same``, ``entered`` (no rank before), ``left`` or ``off_ladder``."""
    if before == after:
        return "same"
    if before == NONE:
        return "entered"
    if after == NONE:
        return "left"
    levels = policy.levels()
    a, b = levels.get(before), levels.get(after)
    if a is None or b is None:
        return "off_ladder"
    return "up" if b > a else "down" if b < a else "same"


@dataclass(frozen=True)
class MigrationCell:
    """Customers who were in ``from_rank`` at the start and ``to_rank`` at the end."""

    from_rank: str
    to_rank: str
    customers: int
    revenue: int
    direction: str

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return asdict(self)


def migration_matrix(
    con: BaseBackend,
    start: date,
    end: date,
    policy: RankPolicy | None = None,
    *,
    source: Source = "snapshots",
    zone: str | None = None,
    ranks: tuple[ir.Table, ir.Table] | None = None,
) -> list[MigrationCell]:
    """``kizuna migration``: one cell per (from rank, to rank) with customers and the revenue
    they brought in (start, end]. Customers without a rank on a side show as ``(none)``.
    ``ranks`` passes the (start, end) rank tables already computed (``customer_id``, ``rank``)."""
    policy = policy or default_policy()
    first, last = ranks or (_ranks(con, start, policy, source), _ranks(con, end, policy, source))
    before = first.select("customer_id", "rank").rename(from_rank="rank")
    after = last.select("customer_id", "rank").rename(to_rank="rank")
    pairs = before.outer_join(after, before.customer_id == after.customer_id)
    pairs = pairs.select(
        customer_id=ibis.coalesce(pairs.customer_id, pairs.customer_id_right),
        from_rank=pairs.from_rank.fill_null(NONE),
        to_rank=pairs.to_rank.fill_null(NONE),
    ).view()
    bought = staging.purchases(con, end, zone)
    bought = bought.filter(bought.placed_day > ibis.date(start))
    spend = bought.group_by("customer_id").agg(revenue=_.amount.sum())
    joined = pairs.left_join(spend, "customer_id")
    cells = joined.group_by(["from_rank", "to_rank"]).agg(
        customers=_.count(), revenue=_.revenue.sum().fill_null(0)
    )
    rows = cells.to_pyarrow().to_pylist()
    order = {rank: i for i, rank in enumerate([NONE, *policy.ranks])}
    rows.sort(key=lambda r: (order.get(r["from_rank"], 99), order.get(r["to_rank"], 99)))
    return [
        MigrationCell(
            r["from_rank"],
            r["to_rank"],
            int(r["customers"]),
            int(r["revenue"] or 0),
            direction(policy, r["from_rank"], r["to_rank"]),
        )
        for r in rows
    ]


def monthly_transitions(
    con: BaseBackend, policy: RankPolicy | None = None, *, since: date | None = None
) -> list[dict[str, Any]]:
    """Grain: (month, from rank, to rank): rank changes recorded by the snapshots, by the month
    of the snapshot that saw them, with their direction (``up``/``down``/…)."""
    policy = policy or default_policy()
    spells = con.table("analytics_rank_spells")
    closed = spells.filter(spells.valid_to.notnull()).select(
        customer_id=spells.customer_id, from_rank=spells["rank"], day=spells.valid_to
    )
    opened = spells.select(
        customer_id=spells.customer_id, to_rank=spells["rank"], day=spells.valid_from
    )
    moves = closed.inner_join(opened, ["customer_id", "day"])
    if since is not None:
        moves = moves.filter(moves.day >= ibis.date(since))
    moves = moves.mutate(year=moves.day.year(), month=moves.day.month())
    counts = moves.group_by(["year", "month", "from_rank", "to_rank"]).agg(customers=_.count())
    rows = counts.order_by(["year", "month", "from_rank", "to_rank"]).to_pyarrow().to_pylist()
    return [
        {
            "month": f"{r['year']:04d}-{r['month']:02d}",
            "from_rank": r["from_rank"],
            "to_rank": r["to_rank"],
            "customers": int(r["customers"]),
            "direction": direction(policy, r["from_rank"], r["to_rank"]),
        }
        for r in rows
    ]


def time_in_rank(con: BaseBackend, as_of: date) -> list[dict[str, Any]]:
    """Grain: rank. Customers in each rank on ``as_of`` (per the snapshots) and how many days,
    on average and at most, they have been in it; plus the average length of finished spells."""
    spells = con.table("analytics_rank_spells")
    d = ibis.date(as_of)
    current = spells.filter(
        (spells.valid_from <= d) & (spells.valid_to.isnull() | (spells.valid_to > d))
    )
    current = current.mutate(days=d.delta(current.valid_from, unit="day"))
    now = current.group_by("rank").agg(
        customers=_.count(), mean_days=_.days.cast("float64").mean(), max_days=_.days.max()
    )
    done = spells.filter(spells.valid_to.notnull() & (spells.valid_to <= d))
    done = done.mutate(days=done.valid_to.delta(done.valid_from, unit="day"))
    finished = done.group_by("rank").agg(
        finished_spells=_.count(), mean_finished_days=_.days.cast("float64").mean()
    )
    joined = now.outer_join(finished, "rank")
    table = joined.select(
        rank=ibis.coalesce(joined["rank"], joined.rank_right),
        customers=joined.customers.fill_null(0),
        mean_days=joined.mean_days,
        max_days=joined.max_days,
        finished_spells=joined.finished_spells.fill_null(0),
        mean_finished_days=joined.mean_finished_days,
    )
    return sorted(table.to_pyarrow().to_pylist(), key=lambda r: str(r["rank"]))
