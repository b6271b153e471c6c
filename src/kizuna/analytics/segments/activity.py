"""Segment predicates that read the customers' activity: purchases in a window, products bought
or viewed, carts, channels, consent. Each tests ``customer_id`` against a sub-query, which every
engine runs as a semi-join (see ``segments.base``).
"""

from __future__ import annotations

from typing import Literal

import ibis
import ibis.expr.types as ir
from pydantic import Field

from kizuna.analytics import staging
from kizuna.analytics.segments.base import Context, Predicate, _range


class SpendInWindow(Predicate):
    """Spend (net, minor units) or purchase days within the last ``days`` days."""

    type: Literal["spend_in_window"] = "spend_in_window"
    days: int = Field(ge=1, le=3660)
    measure: Literal["spend", "purchase_days"] = "spend"
    min: int | None = None
    max: int | None = None

    @property
    def label(self) -> str:
        return f"{self.measure} in the last {self.days} days in {_range(self.min, self.max)}"

    def to_ibis(self, ctx: Context) -> ir.BooleanValue:
        p = staging.purchases(ctx.con, ctx.as_of, ctx.zone)
        p = p.filter(p.placed_day >= ibis.date(ctx.since(self.days)))
        value = p.amount.sum() if self.measure == "spend" else p.placed_day.nunique()
        per = p.group_by("customer_id").agg(value=value)
        outside = []
        if self.min is not None:
            outside.append(per.value < self.min)
        if self.max is not None:
            outside.append(per.value > self.max)
        if not outside:
            return ibis.literal(True)
        if self.min is None or self.min <= 0:  # customers without purchases have 0: inside
            return ~ctx.base.customer_id.isin(per.filter(ibis.or_(*outside)).customer_id)
        return ctx.member_of(per.filter(~ibis.or_(*outside)))


class _Items(Predicate):
    categories: list[str] = Field(default_factory=list)
    skus: list[str] = Field(default_factory=list)
    within_days: int | None = Field(default=None, ge=1)

    def _what(self) -> str:
        return " or ".join([*self.categories, *self.skus]) or "anything"

    def _match(self, table: ir.Table) -> ir.BooleanValue:
        parts = []
        if self.categories:
            parts.append(table.category.isin(self.categories))
        if self.skus:
            parts.append(table.sku.isin(self.skus))
        return ibis.or_(*parts) if parts else ibis.literal(True)


class Bought(_Items):
    type: Literal["bought"] = "bought"

    @property
    def label(self) -> str:
        window = f" in the last {self.within_days} days" if self.within_days else ""
        return f"Bought {self._what()}{window}"

    def to_ibis(self, ctx: Context) -> ir.BooleanValue:
        p = staging.purchases(ctx.con, ctx.as_of, ctx.zone)
        if self.within_days:
            p = p.filter(p.placed_day >= ibis.date(ctx.since(self.within_days)))
        lines = staging.order_lines(ctx.con)
        lines = lines.filter(self._match(lines))
        return ctx.member_of(p.filter(p.order_id.isin(lines.order_id)).select("customer_id"))


class Viewed(_Items):
    type: Literal["viewed"] = "viewed"

    @property
    def label(self) -> str:
        window = f" in the last {self.within_days} days" if self.within_days else ""
        return f"Viewed {self._what()}{window}"

    def to_ibis(self, ctx: Context) -> ir.BooleanValue:
        e = staging.events(ctx.con, ctx.zone)
        e = e.filter((e.event_type == "product_view") & (e.occurred_day <= ibis.date(ctx.as_of)))
        if self.within_days:
            e = e.filter(e.occurred_day >= ibis.date(ctx.since(self.within_days)))
        if self.categories:
            products = ctx.con.table("products")
            categories = ctx.con.table("categories")
            codes = categories.filter(categories.code.isin(self.categories)).id
            skus = products.filter(products.category_id.isin(codes)).sku
            wanted = e.sku.isin(skus) | e.sku.isin(self.skus) if self.skus else e.sku.isin(skus)
            e = e.filter(wanted)
        elif self.skus:
            e = e.filter(e.sku.isin(self.skus))
        return ctx.member_of(e.select("customer_id"))


class CartAbandoned(Predicate):
    """Put something in the cart (or began checkout) in the last ``within_days`` days and has
    not bought since that day."""

    type: Literal["cart_abandoned"] = "cart_abandoned"
    within_days: int = Field(default=7, ge=1, le=365)

    @property
    def label(self) -> str:
        return f"Abandoned a cart in the last {self.within_days} days"

    def to_ibis(self, ctx: Context) -> ir.BooleanValue:
        e = staging.events(ctx.con, ctx.zone)
        window = (e.occurred_day >= ibis.date(ctx.since(self.within_days))) & (
            e.occurred_day <= ibis.date(ctx.as_of)
        )
        carts = e.filter(window & e.event_type.isin(staging.CART_EVENTS))
        last = carts.group_by("customer_id").agg(cart_day=carts.occurred_day.max())
        joined = ctx.base.select("customer_id", "last_purchase_day").inner_join(last, "customer_id")
        quiet = joined.last_purchase_day.isnull() | (joined.last_purchase_day < joined.cart_day)
        return ctx.member_of(joined.filter(quiet).select("customer_id"))


class ChannelUsed(Predicate):
    type: Literal["channel_used"] = "channel_used"
    channels: list[Literal["online", "app", "store", "phone"]] = Field(min_length=1)
    within_days: int | None = Field(default=None, ge=1)

    @property
    def label(self) -> str:
        return f"Bought through {' or '.join(self.channels)}"

    def to_ibis(self, ctx: Context) -> ir.BooleanValue:
        p = staging.purchases(ctx.con, ctx.as_of, ctx.zone)
        p = p.filter(p.channel.isin(self.channels))
        if self.within_days:
            p = p.filter(p.placed_day >= ibis.date(ctx.since(self.within_days)))
        return ctx.member_of(p.select("customer_id"))


class Consent(Predicate):
    """The latest consent for ``channel`` is ``granted`` (never asked counts as not granted)."""

    type: Literal["consent"] = "consent"
    channel: Literal["email", "sms", "line", "push", "postal"]
    granted: bool = True

    @property
    def label(self) -> str:
        return f"{'Agreed to' if self.granted else 'Has not agreed to'} {self.channel}"

    def to_ibis(self, ctx: Context) -> ir.BooleanValue:
        c = staging.consents(ctx.con)
        yes = c.filter((c.channel == self.channel) & c.granted).select("customer_id")
        inside = ctx.member_of(yes)
        return inside if self.granted else ~inside
