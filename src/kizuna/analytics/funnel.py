"""The acquisition funnel: visitor → lead (registered) → hot lead (engaged) → new customer.

Business question: each month, how many people visited, how many registered, how many of those
engaged (product or page views, search, cart) within ``hot_days`` of registering, and how many
bought within ``convert_days``; and how many first purchases happened overall that month?

Grain: one row per calendar month (shop zone). ``visitors`` counts distinct visitors (a known
customer or an anonymous id) with any event that month; the lead steps follow the members who
registered that month (a cohort), so their rates compare like with like. ``new_customers`` counts
every first purchase of the month, members and guests.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

import ibis
import ibis.expr.types as ir
from ibis import _
from ibis.backends import BaseBackend

from kizuna.analytics import staging
from kizuna.analytics.kpis import month_ends
from kizuna.analytics.summary import customer_days


@dataclass(frozen=True)
class FunnelMonth:
    """One month of the funnel with the conversion between its steps."""

    month: str
    visitors: int
    leads: int
    hot_leads: int
    converted_leads: int
    new_customers: int

    @property
    def lead_rate(self) -> float | None:
        """Registrations per visitor."""
        return self.leads / self.visitors if self.visitors else None

    @property
    def hot_rate(self) -> float | None:
        """Share of the month's leads who engaged within ``hot_days``."""
        return self.hot_leads / self.leads if self.leads else None

    @property
    def conversion_rate(self) -> float | None:
        """Share of the month's leads who bought within ``convert_days``."""
        return self.converted_leads / self.leads if self.leads else None

    def to_dict(self) -> dict[str, Any]:
        """JSON form, rates included."""
        out = asdict(self)
        out.update(
            lead_rate=self.lead_rate, hot_rate=self.hot_rate, conversion_rate=self.conversion_rate
        )
        return out


def _by_month(table: ir.Table, day: str, **metrics: Any) -> dict[str, dict[str, int]]:
    keyed = table.mutate(month_no=table[day].year() * 12 + table[day].month() - 1)
    rows = keyed.group_by("month_no").agg(**metrics).to_pyarrow().to_pylist()
    out: dict[str, dict[str, int]] = {}
    for r in rows:
        name = f"{r['month_no'] // 12:04d}-{r['month_no'] % 12 + 1:02d}"
        out[name] = {k: int(v or 0) for k, v in r.items() if k != "month_no"}
    return out


def acquisition_funnel(
    con: BaseBackend,
    as_of: date,
    *,
    months: int = 12,
    hot_days: int = 30,
    convert_days: int = 90,
    zone: str | None = None,
) -> list[FunnelMonth]:
    """The funnel for the last ``months`` months and the current one, up to ``as_of``."""
    start = ibis.date(month_ends(as_of, months)[0])
    end = ibis.date(as_of)
    v = staging.visitors(con, zone)
    v = v.filter((v.occurred_day > start) & (v.occurred_day <= end))
    visitors = _by_month(v, "occurred_day", visitors=v.visitor.nunique())

    c = staging.customers(con, zone)
    leads = c.filter(c.is_member & (c.registered_day > start) & (c.registered_day <= end))
    e = staging.events(con, zone)
    engaged = e.filter(e.event_type.isin([*staging.VIEW_EVENTS, *staging.CART_EVENTS]))
    engaged = engaged.filter(engaged.occurred_day <= end)
    hot = leads.inner_join(engaged, "customer_id").filter(
        lambda t: (
            (t.occurred_dayno >= t.registered_dayno)
            & (t.occurred_dayno <= t.registered_dayno + hot_days)
        )
    )
    hot_ids = hot.select("customer_id").distinct()
    days = customer_days(con, as_of, zone)
    first = days.group_by("customer_id").agg(first_day=_.placed_day.min())
    first = first.mutate(first_dayno=first.first_day.epoch_days())
    bought = leads.inner_join(first, "customer_id").filter(
        lambda t: (
            (t.first_dayno >= t.registered_dayno)
            & (t.first_dayno <= t.registered_dayno + convert_days)
        )
    )
    flagged = leads.mutate(
        hot=ibis.ifelse(leads.customer_id.isin(hot_ids.customer_id), 1, 0),
        converted=ibis.ifelse(leads.customer_id.isin(bought.customer_id), 1, 0),
    )
    lead_counts = _by_month(
        flagged,
        "registered_day",
        leads=_.count(),
        hot_leads=_.hot.sum(),
        converted=_.converted.sum(),
    )
    firsts = first.filter((first.first_day > start) & (first.first_day <= end))
    new = _by_month(firsts, "first_day", new_customers=_.count())
    names = [f"{d:%Y-%m}" for d in month_ends(as_of, months)[1:]]
    return [
        FunnelMonth(
            name,
            visitors.get(name, {}).get("visitors", 0),
            lead_counts.get(name, {}).get("leads", 0),
            lead_counts.get(name, {}).get("hot_leads", 0),
            lead_counts.get(name, {}).get("converted", 0),
            new.get(name, {}).get("new_customers", 0),
        )
        for name in names
    ]
