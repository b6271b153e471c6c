"""Staging: one function per record table, typed and renamed, times in the shop's zone (dbt style).

Every later expression starts here, so the record's quirks are handled once:

* SQLite stores booleans as integers and datetimes as naive UTC text; PostgreSQL stores
  ``timestamptz``. Staging gives booleans, and local timestamps (``*_local``, naive wall-clock in
  the shop zone) with the local calendar day (``*_day``, a date) and its day number
  (``*_dayno``, days since 1970-01-01: plain integers make windows and recency portable).
* ``orders`` leaves out cancelled orders and orders without a customer. ``purchases`` nets the
  orders of returns that name them (up to ``as_of``); an order returned in full is not a
  purchase. Returns that name no order (a credit note) cannot be matched to a purchase day and
  are counted on their own (``unattributed_returns``).
* ``customers`` leaves out customers merged into another (their rows moved to the survivor).

Grain is stated on each function. Nothing here writes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import ibis
import ibis.expr.types as ir
from ibis import _
from ibis.backends import BaseBackend

from kizuna.settings import get_settings

_EPOCH = date(1970, 1, 1)
# DST transitions are looked up within these years; a shop zone without any uses one offset.
_TRANSITION_YEARS = (1990, 2060)
VIEW_EVENTS = ("page_view", "product_view", "search")
CART_EVENTS = ("cart_add", "checkout_start")


def day_number(day: date) -> int:
    """Days since 1970-01-01 (the integer the staged ``*_dayno`` columns hold)."""
    return (day - _EPOCH).days


def shop_zone(zone: str | None = None) -> str:
    """The shop's IANA zone: ``zone`` or the setting."""
    return zone or get_settings().shop_timezone


@lru_cache(maxsize=16)
def _offsets(zone: str) -> tuple[tuple[datetime | None, int], ...]:
    """``(utc_start, offset_seconds)`` spells of ``zone`` (the first one's start is None)."""
    tz = ZoneInfo(zone)

    def offset(moment: datetime) -> int:
        return int((moment.astimezone(tz).utcoffset() or timedelta()).total_seconds())

    day = datetime(_TRANSITION_YEARS[0], 1, 1, tzinfo=UTC)
    end = datetime(_TRANSITION_YEARS[1], 1, 1, tzinfo=UTC)
    spells: list[tuple[datetime | None, int]] = [(None, offset(day))]
    while day < end:
        following = day + timedelta(days=1)
        if offset(following) != spells[-1][1]:
            moment = day
            while offset(moment) == spells[-1][1]:
                moment += timedelta(minutes=15)
            spells.append((moment.replace(tzinfo=None), offset(moment)))
        day = following
    return tuple(spells)


def to_shop_time(utc: ir.TimestampValue, zone: str | None = None) -> ir.TimestampValue:
    """Naive UTC timestamp → naive wall-clock time in the shop zone, the same on every backend.

    A fixed-offset zone (Asia/Tokyo) is one addition; a zone with daylight saving becomes a CASE
    over its UTC transition instants (portable SQL, no time zone database in the engine).
    """
    spells = _offsets(shop_zone(zone))
    if len(spells) == 1:
        return utc + ibis.interval(seconds=spells[0][1])
    branches = [
        (utc >= ibis.timestamp(start), utc + ibis.interval(seconds=seconds))
        for start, seconds in reversed(spells)
        if start is not None
    ]
    return ibis.cases(*branches, else_=utc + ibis.interval(seconds=spells[0][1]))


def _naive(column: ir.TimestampValue) -> ir.TimestampValue:
    """Drop the zone of a UTC ``timestamptz`` (sessions run in UTC, so the value is kept)."""
    if column.type().timezone is not None:
        return column.cast("timestamp")
    return column


def _local(table: ir.Table, column: str, prefix: str, zone: str | None) -> dict[str, ir.Value]:
    local = to_shop_time(_naive(table[column]), zone)
    day = local.date()
    return {f"{prefix}_local": local, f"{prefix}_day": day, f"{prefix}_dayno": day.epoch_days()}


def _flag(column: ir.Value) -> ir.BooleanValue:
    return column.cast("boolean") if column.type().is_integer() else column


def customers(con: BaseBackend, zone: str | None = None) -> ir.Table:
    """One row per customer who was not merged away: flags as booleans, demographics."""
    c = con.table("customers")
    c = c.filter(c.merged_into_id.isnull())
    return c.select(
        customer_id=c.id,
        is_member=_flag(c.is_member),
        is_problem=_flag(c.is_problem),
        gender=c.gender,
        prefecture=c.prefecture,
        occupation=c.occupation,
        country=c.country,
        birth_date=c.birth_date.cast("date"),
        registration_channel=c.registration_channel,
        **_local(c, "registered_at", "registered", zone),
    )


def orders(con: BaseBackend, zone: str | None = None) -> ir.Table:
    """One row per order that counts: not cancelled and with a customer."""
    o = con.table("orders")
    o = o.filter((o.status != "cancelled") & o.customer_id.notnull())
    return o.select(
        order_id=o.id,
        customer_id=o.customer_id,
        channel=o.channel,
        currency=o.currency,
        total=o.total.cast("int64"),
        **_local(o, "placed_at", "placed", zone),
    )


def returns(con: BaseBackend, zone: str | None = None) -> ir.Table:
    """One row per return (goods back), with the order it names when the source said so."""
    r = con.table("returns")
    return r.select(
        return_id=r.id,
        order_id=r.order_id,
        customer_id=r.customer_id,
        amount=r.amount.cast("int64"),
        **_local(r, "returned_at", "returned", zone),
    )


def purchases(con: BaseBackend, as_of: date, zone: str | None = None) -> ir.Table:
    """One row per order placed up to the end of ``as_of`` that still counts after returns.

    ``amount`` is the order total less what came back up to ``as_of`` against that order; an
    order with a positive return at least its total (returned in full) is dropped.
    """
    cut = ibis.date(as_of)
    o = orders(con, zone)
    o = o.filter(o.placed_day <= cut)
    r = returns(con, zone)
    back = (
        r.filter(r.order_id.notnull() & (r.returned_day <= cut))
        .group_by("order_id")
        .agg(returned=_.amount.sum())
    )
    joined = o.left_join(back, "order_id").drop("order_id_right")
    returned = joined.returned.fill_null(0)
    kept = joined.filter((returned <= 0) | (returned < joined.total))
    return kept.mutate(amount=(kept.total - kept.returned.fill_null(0))).drop("returned")


def unattributed_returns(con: BaseBackend, as_of: date, zone: str | None = None) -> ir.Table:
    """One row per customer: returns up to ``as_of`` that name no order (count and amount)."""
    r = returns(con, zone)
    r = r.filter(r.order_id.isnull() & r.customer_id.notnull())
    r = r.filter(r.returned_day <= ibis.date(as_of))
    return r.group_by("customer_id").agg(
        unattributed_returns=_.count(), unattributed_return_amount=_.amount.sum()
    )


def order_lines(con: BaseBackend) -> ir.Table:
    """One row per order line, with the product's category code (null when unknown)."""
    lines = con.table("order_lines")
    products = con.table("products")
    categories = con.table("categories")
    catalogue = products.left_join(categories, products.category_id == categories.id).select(
        sku=products.sku, category=categories.code
    )
    joined = lines.left_join(catalogue, lines.sku == catalogue.sku)
    return joined.select(
        order_id=lines.order_id,
        sku=lines.sku,
        category=joined.category,
        quantity=lines.quantity.cast("int64"),
        amount=lines.amount.cast("int64"),
    )


def subscriptions(con: BaseBackend, zone: str | None = None) -> ir.Table:
    """One row per subscription (定期), with local start and cancel days."""
    s = con.table("subscriptions")
    return s.select(
        subscription_id=s.id,
        customer_id=s.customer_id,
        sku=s.sku,
        status=s.status,
        **_local(s, "started_at", "started", zone),
        **_local(s, "cancelled_at", "cancelled", zone),
    )


def active_subscribers(con: BaseBackend, as_of: date, zone: str | None = None) -> ir.Table:
    """One row per customer with a subscription active at the end of ``as_of``.

    Active = started by then and not cancelled by then. A paused subscription counts as active
    only while it is not paused now (the record keeps no pause dates).
    """
    cut = ibis.date(as_of)
    s = subscriptions(con, zone)
    running = (s.status == "active") | (s.cancelled_day > cut)
    s = s.filter((s.started_day <= cut) & running)
    return s.group_by("customer_id").agg(active_subscriptions=_.count())


def events(con: BaseBackend, zone: str | None = None) -> ir.Table:
    """One row per on-site event with a known customer."""
    e = con.table("events")
    e = e.filter(e.customer_id.notnull())
    return e.select(
        customer_id=e.customer_id,
        event_type=e.type,
        sku=e.sku,
        **_local(e, "occurred_at", "occurred", zone),
    )


def visitors(con: BaseBackend, zone: str | None = None) -> ir.Table:
    """One row per event, known or anonymous, keyed by ``visitor`` (customer id or anonymous id)."""
    e = con.table("events")
    visitor = ibis.coalesce("c" + e.customer_id.cast("string"), "a" + e.anonymous_id)
    return e.select(
        visitor=visitor, customer_id=e.customer_id, **_local(e, "occurred_at", "occurred", zone)
    )


def engagement(con: BaseBackend, as_of: date, zone: str | None = None) -> ir.Table:
    """One row per customer with on-site activity up to ``as_of``: last view and cart days."""
    e = events(con, zone)
    e = e.filter(e.occurred_day <= ibis.date(as_of))
    is_view = e.event_type.isin(VIEW_EVENTS)
    is_cart = e.event_type.isin(CART_EVENTS)
    last = e.group_by("customer_id").agg(
        last_view_day=e.occurred_day.max(where=is_view),
        last_cart_day=e.occurred_day.max(where=is_cart),
    )
    return last.mutate(
        last_view_dayno=last.last_view_day.epoch_days(),
        last_cart_dayno=last.last_cart_day.epoch_days(),
    )


def consents(con: BaseBackend) -> ir.Table:
    """One row per (customer, channel): the latest consent change (``granted``)."""
    c = con.table("consent_changes")
    order = [ibis.desc(c.changed_at), ibis.desc(c.id)]
    ranked = c.mutate(n=ibis.row_number().over(group_by=[c.customer_id, c.channel], order_by=order))
    latest = ranked.filter(ranked.n == 0)
    return latest.select(
        customer_id=latest.customer_id, channel=latest.channel, granted=_flag(latest.granted)
    )
