"""``customer_summary(con, as_of)``: one row per customer, the base of RFM, ranks and segments.

Business question: as of the end of a day (shop zone), who is each customer to the shop: when
did they first and last buy, how often, for how much, are they subscribed, engaged, a member?

Grain: one row per customer not merged away and known by ``as_of`` (registered by then, or no
registration date, or a purchase by then).

Definitions (the same on every engine; ``docs/analytics.md`` explains the choices):

* a *purchase* is an order that is not cancelled and not returned in full (``staging.purchases``);
  amounts are the order total less returns naming that order, in minor units;
* ``orders`` counts purchases; ``purchase_days`` counts distinct local days with a purchase.
  Frequency everywhere (RFM F, ranks' "2+ purchases") is ``purchase_days``: a second order the
  same day (a forgotten item, a split basket) does not make a repeat customer;
* windows are in whole local days: "last 12 months" is the ``window_days`` (365) days ending on
  ``as_of``, both ends included; ``recency_days`` = as_of − last purchase day (0 = bought that
  day), ``tenure_days`` = as_of − first purchase day;
* ``days_since_engaged`` = days since the last product/page view, search or cart activity.
"""

from __future__ import annotations

from datetime import date, timedelta

import ibis
import ibis.expr.types as ir
from ibis import _
from ibis.backends import BaseBackend

from kizuna.analytics import staging
from kizuna.analytics.staging import day_number

WINDOW_DAYS = 365

# Summary columns a rule or a segment may test, with their kind (number, bool, text, date).
FIELDS: dict[str, str] = {
    "is_member": "bool",
    "is_problem": "bool",
    "gender": "text",
    "prefecture": "text",
    "occupation": "text",
    "country": "text",
    "age": "number",
    "orders": "number",
    "purchase_days": "number",
    "spend_total": "number",
    "purchase_days_12m": "number",
    "spend_12m": "number",
    "average_order_value": "number",
    "recency_days": "number",
    "tenure_days": "number",
    "first_purchase_day": "date",
    "last_purchase_day": "date",
    "unattributed_return_amount": "number",
    "active_subscriptions": "number",
    "has_subscription": "bool",
    "days_since_view": "number",
    "days_since_cart": "number",
    "days_since_engaged": "number",
}


def customer_days(con: BaseBackend, as_of: date, zone: str | None = None) -> ir.Table:
    """One row per (customer, local purchase day) up to ``as_of``: orders and net amount."""
    p = staging.purchases(con, as_of, zone)
    return p.group_by(["customer_id", "placed_day"]).agg(
        day_orders=_.count(), day_amount=_.amount.sum()
    )


def _purchase_totals(con: BaseBackend, as_of: date, window_days: int, zone: str | None) -> ir.Table:
    d = customer_days(con, as_of, zone)
    recent = d.placed_day > ibis.date(as_of - timedelta(days=window_days))
    totals = d.group_by("customer_id").agg(
        first_purchase_day=d.placed_day.min(),
        last_purchase_day=d.placed_day.max(),
        orders=d.day_orders.sum(),
        purchase_days=d.count(),
        spend_total=d.day_amount.sum(),
        purchase_days_12m=d.count(where=recent),
        spend_12m=d.day_amount.sum(where=recent),
    )
    return totals.mutate(
        first_purchase_dayno=totals.first_purchase_day.epoch_days(),
        last_purchase_dayno=totals.last_purchase_day.epoch_days(),
    )


def attach(table: ir.Table, per_customer: ir.Table) -> ir.Table:
    """``table`` left-joined with a one-row-per-customer table on ``customer_id``."""
    return table.left_join(per_customer, "customer_id").drop("customer_id_right")


def _age(birth: ir.DateValue, as_of: date) -> ir.IntegerValue:
    before_birthday = (birth.month() > as_of.month) | (
        (birth.month() == as_of.month) & (birth.day() > as_of.day)
    )
    return (as_of.year - birth.year() - ibis.ifelse(before_birthday, 1, 0)).cast("int64")


def _days_since(dayno: ir.IntegerValue, cut: int) -> ir.IntegerValue:
    return (cut - dayno).cast("int64")


def customer_summary(
    con: BaseBackend,
    as_of: date,
    *,
    window_days: int = WINDOW_DAYS,
    zone: str | None = None,
) -> ir.Table:
    """One row per customer as of the end of ``as_of`` (columns: ``FIELDS`` + ``customer_id``)."""
    cut = day_number(as_of)
    c = staging.customers(con, zone)
    totals = _purchase_totals(con, as_of, window_days, zone)
    subs = staging.active_subscribers(con, as_of, zone)
    seen = staging.engagement(con, as_of, zone)
    credits = staging.unattributed_returns(con, as_of, zone)
    t = c
    for part in (totals, subs, seen, credits):
        t = attach(t, part)
    known = t.registered_day.isnull() | (t.registered_day <= ibis.date(as_of)) | t.orders.notnull()
    t = t.filter(known)
    orders = t.orders.fill_null(0).cast("int64")
    spend_total = t.spend_total.fill_null(0).cast("int64")
    view = _days_since(t.last_view_dayno, cut)
    cart = _days_since(t.last_cart_dayno, cut)
    return t.select(
        customer_id=t.customer_id,
        is_member=t.is_member,
        is_problem=t.is_problem,
        gender=t.gender,
        prefecture=t.prefecture,
        occupation=t.occupation,
        country=t.country,
        birth_date=t.birth_date,
        age=_age(t.birth_date, as_of),
        registered_day=t.registered_day,
        orders=orders,
        purchase_days=t.purchase_days.fill_null(0).cast("int64"),
        spend_total=spend_total,
        purchase_days_12m=t.purchase_days_12m.fill_null(0).cast("int64"),
        spend_12m=t.spend_12m.fill_null(0).cast("int64"),
        average_order_value=ibis.ifelse(
            orders > 0, spend_total.cast("float64") / orders.cast("float64"), ibis.null("float64")
        ),
        first_purchase_dayno=t.first_purchase_dayno,
        last_purchase_dayno=t.last_purchase_dayno,
        first_purchase_day=t.first_purchase_day,
        last_purchase_day=t.last_purchase_day,
        recency_days=_days_since(t.last_purchase_dayno, cut),
        tenure_days=_days_since(t.first_purchase_dayno, cut),
        unattributed_return_amount=t.unattributed_return_amount.fill_null(0).cast("int64"),
        active_subscriptions=t.active_subscriptions.fill_null(0).cast("int64"),
        has_subscription=t.active_subscriptions.fill_null(0) > 0,
        days_since_view=view,
        days_since_cart=cart,
        days_since_engaged=ibis.cases(
            (view.isnull(), cart), (cart.isnull(), view), else_=ibis.least(view, cart)
        ),
    )
