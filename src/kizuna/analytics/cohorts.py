"""Cohorts: retention and revenue by first-purchase month.

Business question: of the customers who first bought in a month, how many bought again in each
following month, and how much did the cohort spend?

Grain of ``retention``: one row per (cohort month, months since the first purchase); month 0
is the first month itself (retention 1.0 by definition).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from ibis import _
from ibis.backends import BaseBackend

from kizuna.analytics.kpis import month_ends
from kizuna.analytics.summary import customer_days


@dataclass(frozen=True)
class CohortCell:
    """One cohort in one month since its first purchase."""

    cohort: str
    offset: int
    cohort_size: int
    active: int
    revenue: int
    retention: float

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return asdict(self)


def retention(
    con: BaseBackend, as_of: date, *, months: int = 12, zone: str | None = None
) -> list[CohortCell]:
    """Cohorts of the last ``months`` months (and the current one) up to ``as_of``."""
    days = customer_days(con, as_of, zone)
    days = days.mutate(month_no=days.placed_day.year() * 12 + days.placed_day.month() - 1)
    first = days.group_by("customer_id").agg(cohort_no=_.month_no.min())
    joined = days.inner_join(first, "customer_id")
    first_month = month_ends(as_of, months)[0]
    start_no = first_month.year * 12 + first_month.month  # the month after that month end
    joined = joined.filter(joined.cohort_no >= start_no)
    joined = joined.mutate(offset=joined.month_no - joined.cohort_no)
    cells = joined.group_by(["cohort_no", "offset"]).agg(
        active=_.customer_id.nunique(), revenue=_.day_amount.sum()
    )
    sizes = {
        r["cohort_no"]: int(r["n"])
        for r in first.filter(first.cohort_no >= start_no)
        .group_by("cohort_no")
        .agg(n=_.count())
        .to_pyarrow()
        .to_pylist()
    }
    rows = cells.order_by(["cohort_no", "offset"]).to_pyarrow().to_pylist()
    return [
        CohortCell(
            f"{r['cohort_no'] // 12:04d}-{r['cohort_no'] % 12 + 1:02d}",
            int(r["offset"]),
            sizes[r["cohort_no"]],
            int(r["active"]),
            int(r["revenue"] or 0),
            int(r["active"]) / sizes[r["cohort_no"]],
        )
        for r in rows
    ]


def retention_matrix(cells: list[CohortCell]) -> dict[str, Any]:
    """The cells as a heatmap document: cohorts (rows), offsets (columns), retention values."""
    cohorts = sorted({c.cohort for c in cells})
    width = max((c.offset for c in cells), default=-1) + 1
    grid: dict[str, list[float | None]] = {name: [None] * width for name in cohorts}
    sizes = {c.cohort: c.cohort_size for c in cells}
    for c in cells:
        grid[c.cohort][c.offset] = c.retention
    return {
        "cohorts": cohorts,
        "sizes": [sizes[name] for name in cohorts],
        "offsets": list(range(width)),
        "retention": [grid[name] for name in cohorts],
    }
