"""What a member's stage gives them, and what the benefits cost the shop.

``benefits_for`` lists a member's benefits in words; ``birthday_gift`` picks the product the
member buys most (by quantity over their orders, ties to the most recent purchase);
``can_buy_early`` applies early access before a product's launch date; ``monthly_benefit_cost``
is the dashboard's table of cost per benefit and stage for one month (grouped queries over
accounts, customers, stage history and orders; the cost models live in ``benefit_types``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import extract, func, select
from sqlalchemy.orm import Session

from kizuna.catalog.models import Product
from kizuna.customers.models import Customer
from kizuna.kit.clock import now
from kizuna.loyalty.benefit_types import BirthdayGift, EarlyAccess, FreeShipping, StageActivity
from kizuna.loyalty.dates import day_start, first_of_next_month, local_date
from kizuna.loyalty.models import LoyaltyAccount, StageChange
from kizuna.loyalty.programme import Programme, Stage
from kizuna.loyalty.versions import active_programme
from kizuna.orders.models import Order, OrderLine


@dataclass(frozen=True, slots=True)
class BenefitView:
    type: str
    label: dict[str, str]
    data: dict[str, Any]


def member_stage(session: Session, programme: Programme, customer_id: int) -> Stage:
    """The member's current stage (the entry stage before their first evaluation)."""
    code = session.scalar(
        select(LoyaltyAccount.stage).where(LoyaltyAccount.customer_id == customer_id)
    )
    return programme.stage(code)


def benefits_for(
    session: Session, customer_id: int, *, at: datetime | None = None
) -> list[BenefitView]:
    """The member's benefits, labelled in Japanese and English."""
    programme = active_programme(session, at)
    stage = member_stage(session, programme, customer_id)
    return [
        BenefitView(b.type, {"ja": b.label("ja"), "en": b.label("en")}, b.model_dump(mode="json"))
        for b in stage.benefits
    ]


@dataclass(frozen=True, slots=True)
class Gift:
    sku: str
    name: str
    value_yen: int


def birthday_gift(session: Session, customer_id: int, *, at: datetime | None = None) -> Gift | None:
    """The member's birthday gift under their stage: the product they buy most (or the
    configured SKU); None when the stage gives none or they have bought nothing."""
    programme = active_programme(session, at)
    benefit = next(
        (
            b
            for b in member_stage(session, programme, customer_id).benefits
            if isinstance(b, BirthdayGift)
        ),
        None,
    )
    if benefit is None:
        return None
    sku = benefit.sku if benefit.gift == "sku" else favourite_sku(session, customer_id)
    if sku is None:
        return None
    name = session.scalar(select(Product.name).where(Product.sku == sku)) or sku
    return Gift(sku, name, benefit.value_yen)


def favourite_sku(session: Session, customer_id: int) -> str | None:
    """The SKU the customer bought most units of (ties: bought most recently, then SKU)."""
    return session.scalar(
        select(OrderLine.sku)
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.customer_id == customer_id, Order.status != "cancelled")
        .group_by(OrderLine.sku)
        .order_by(
            func.sum(OrderLine.quantity).desc(), func.max(Order.placed_at).desc(), OrderLine.sku
        )
        .limit(1)
    )


def can_buy_early(
    session: Session, customer_id: int, sku: str, *, at: datetime | None = None
) -> bool:
    """Whether the member may buy ``sku`` at ``at``: launched, or within their stage's early
    access days before its launch date."""
    at = at or now()
    launch = session.scalar(select(Product.launch_date).where(Product.sku == sku))
    today = local_date(at)
    if launch is None or today >= launch:
        return True
    stage = member_stage(session, active_programme(session, at), customer_id)
    days = max(
        (b.days_before_launch for b in stage.benefits if isinstance(b, EarlyAccess)), default=0
    )
    return today >= launch - timedelta(days=days)


@dataclass(frozen=True, slots=True)
class BenefitCost:
    stage: str
    type: str
    label: str
    members: int
    cost_yen: int


def stage_activity(session: Session, programme: Programme, month: date) -> dict[str, StageActivity]:
    """Each stage's members, birthdays, newcomers, orders and spend in ``month``."""
    first, nxt = month.replace(day=1), first_of_next_month(month.replace(day=2))
    start, end = day_start(first), day_start(nxt)
    stage = LoyaltyAccount.stage
    members = dict(session.execute(select(stage, func.count()).group_by(stage)).all())
    births = dict(
        session.execute(
            select(stage, func.count())
            .join(Customer, Customer.id == LoyaltyAccount.customer_id)
            .where(extract("month", Customer.birth_date) == first.month)
            .group_by(stage)
        ).all()
    )
    newcomers = dict(
        session.execute(
            select(StageChange.to_stage, func.count())
            .where(
                StageChange.at >= start,
                StageChange.at < end,
                StageChange.reason.in_(("promoted", "joined")),
            )
            .group_by(StageChange.to_stage)
        ).all()
    )
    spend = Order.subtotal - Order.discount
    in_month = (Order.placed_at >= start, Order.placed_at < end, Order.status != "cancelled")
    orders = {
        row[0]: (row[1], row[2])
        for row in session.execute(
            select(stage, func.count(), func.coalesce(func.sum(spend), 0))
            .join(Order, Order.customer_id == LoyaltyAccount.customer_id)
            .where(*in_month)
            .group_by(stage)
        )
    }
    minimums = {
        b.min_order_yen for s in programme.stages for b in s.benefits if isinstance(b, FreeShipping)
    }
    from_min: dict[str, dict[int, int]] = {}
    for minimum in minimums:
        rows = session.execute(
            select(stage, func.count())
            .join(Order, Order.customer_id == LoyaltyAccount.customer_id)
            .where(*in_month, spend >= minimum)
            .group_by(stage)
        )
        for code, count in rows:
            from_min.setdefault(code or "", {})[minimum] = count
    return {
        s.code: StageActivity(
            members=members.get(s.code, 0),
            birthdays=births.get(s.code, 0),
            newcomers=newcomers.get(s.code, 0),
            orders=orders.get(s.code, (0, 0))[0],
            spend=int(orders.get(s.code, (0, 0))[1]),
            orders_from={m: from_min.get(s.code, {}).get(m, 0) for m in minimums},
        )
        for s in programme.stages
    }


def monthly_benefit_cost(
    session: Session, month: date, *, language: str = "ja"
) -> list[BenefitCost]:
    """The cost of each benefit of each stage in ``month`` (stages as they stand now)."""
    programme = active_programme(session, day_start(month))
    activity = stage_activity(session, programme, month)
    return [
        BenefitCost(
            s.code,
            b.type,
            b.label(language),
            activity[s.code].members,
            b.monthly_cost(activity[s.code]),
        )
        for s in programme.stages
        for b in s.benefits
    ]
