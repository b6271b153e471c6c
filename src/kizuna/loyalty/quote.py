"""``quote(customer, cart)``: what the member pays and earns for a cart, before checkout.

Fetching (stage, balance, coupons, spend so far) is separate from pricing, which is pure integer
yen in ``price_goods`` and ``finish``. The order of calculation:

1. per line, the stage discount (the stage's ``discount`` benefit) and, on subscription lines,
   the subscription discount, stacked with the stage discount by adding the percentages
   (``add``, the default) or applying one after the other (``compound``); each rounded down;
2. the volume discount of the highest tier the discounted goods reach;
3. coupons, validated against the goods after 1–2; the largest discounts win, up to the
   programme's coupons per order; the rest are reported with the reason;
4. shipping, waived by a ``free_shipping`` benefit from its minimum;
5. points: usable = the balance, capped by the maximum per order, the percentage of the goods,
   and the goods themselves (below the minimum per use: none); applied = what the cart asks
   for, within that;
6. points to earn on what is left, by the programme's earn rules.

Quoting writes nothing and holds nothing; ``ledger.post.do_hold`` reserves the points.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.customers.service import get_customer
from kizuna.kit.clock import now
from kizuna.kit.errors import KizunaError
from kizuna.loyalty.benefit_types import Discount, FreeShipping
from kizuna.loyalty.calc import percent_of
from kizuna.loyalty.coupons import CouponCheck, validate_coupon
from kizuna.loyalty.dates import local_date
from kizuna.loyalty.earn_rules import EarnContext, compute_earn
from kizuna.loyalty.ledger.balance import balance
from kizuna.loyalty.programme import Programme, Stage
from kizuna.loyalty.qualifying import qualifying_amount
from kizuna.loyalty.stages import stage_status
from kizuna.loyalty.versions import active_programme
from kizuna.orders.models import Order


@dataclass(frozen=True, slots=True)
class CartLine:
    sku: str
    quantity: int
    unit_price: int
    subscription: bool = False


@dataclass(frozen=True, slots=True)
class Cart:
    lines: tuple[CartLine, ...]
    shipping_fee: int = 0
    coupon_codes: tuple[str, ...] = ()
    points_to_use: int = 0
    segments: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class QuoteLine:
    sku: str
    amount: int
    stage_discount: int
    subscription_discount: int


@dataclass(frozen=True, slots=True)
class Goods:
    lines: tuple[QuoteLine, ...]
    subtotal: int
    stage_discount: int
    subscription_discount: int
    volume_discount: int

    @property
    def after(self) -> int:
        return (
            self.subtotal - self.stage_discount - self.subscription_discount - self.volume_discount
        )


@dataclass(frozen=True, slots=True)
class Quote:
    customer_id: int
    stage: str
    subtotal: int
    stage_discount: int
    subscription_discount: int
    volume_discount: int
    coupon_discount: int
    shipping_fee: int
    shipping_waived: int
    points_balance: int
    points_usable: int
    points_applied: int
    total: int
    points_to_earn: int
    lines: tuple[QuoteLine, ...] = ()
    coupons: tuple[CouponCheck, ...] = ()
    coupons_rejected: tuple[dict[str, str], ...] = ()
    earn_lines: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    next_stage_message: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON form for the storefront."""
        return asdict(self)


def stage_percent(stage: Stage) -> Decimal:
    """The stage's discount percent (the largest ``discount`` benefit; 0 without one)."""
    rates = [b.percent for b in stage.benefits if isinstance(b, Discount)]
    return max(rates, default=Decimal(0))


def price_goods(programme: Programme, stage: Stage, cart: Cart) -> Goods:
    """Steps 1–2: line, stage, subscription and volume discounts (pure)."""
    rate, sub_rate = stage_percent(stage), programme.pricing.subscription_discount_percent
    lines = []
    for line in cart.lines:
        amount = line.quantity * line.unit_price
        stage_off = percent_of(amount, rate)
        sub_off = 0
        if line.subscription and programme.pricing.subscription_stacking == "add":
            sub_off = percent_of(amount, rate + sub_rate) - stage_off
        elif line.subscription:
            sub_off = percent_of(amount - stage_off, sub_rate)
        lines.append(QuoteLine(line.sku, amount, stage_off, sub_off))
    subtotal = sum(ln.amount for ln in lines)
    after = subtotal - sum(ln.stage_discount + ln.subscription_discount for ln in lines)
    tiers = [t for t in programme.pricing.volume_tiers if after >= t.min_subtotal]
    tier = max(tiers, key=lambda t: t.min_subtotal, default=None)
    volume = min(after, tier.amount_yen + percent_of(after, tier.percent)) if tier else 0
    return Goods(
        tuple(lines),
        subtotal,
        sum(ln.stage_discount for ln in lines),
        sum(ln.subscription_discount for ln in lines),
        volume,
    )


def usable_points(programme: Programme, balance_points: int, goods: int) -> int:
    """Step 5: the most points this order may take (0 below the minimum per use)."""
    rule = programme.redemption
    caps = [
        max(balance_points, 0),
        percent_of(goods, rule.max_percent_of_order) // rule.yen_per_point,
    ]
    if rule.max_points is not None:
        caps.append(rule.max_points)
    usable = min(caps)
    return usable if usable >= rule.min_points else 0


def _coupons(
    session: Session,
    programme: Programme,
    customer_id: int,
    cart: Cart,
    goods: int,
    at: datetime,
) -> tuple[list[CouponCheck], list[dict[str, str]]]:
    good, bad = [], []
    for code in cart.coupon_codes:
        try:
            good.append(
                validate_coupon(session, code, customer_id, goods, at=at, segments=cart.segments)
            )
        except KizunaError as exc:
            bad.append({"code": code, "error": exc.code, "message": exc.message})
    good.sort(key=lambda c: -c.discount)
    keep = programme.pricing.max_coupons_per_order
    bad += [
        {"code": c.code, "error": "coupon_limit", "message": "one coupon per order"}
        for c in good[keep:]
    ]
    return good[:keep], bad


def quote(session: Session, customer_id: int, cart: Cart, *, at: datetime | None = None) -> Quote:
    """Price ``cart`` for the customer: discounts, coupons, shipping, points usable and earned."""
    at = at or now()
    get_customer(session, customer_id)
    programme = active_programme(session, at)
    status = stage_status(session, customer_id, at=at)
    stage = programme.stage(status.stage)
    goods = price_goods(programme, stage, cart)
    coupons, rejected = _coupons(session, programme, customer_id, cart, goods.after, at)
    coupon_off = min(goods.after, sum(c.discount for c in coupons))
    payable = goods.after - coupon_off
    free = [b for b in stage.benefits if isinstance(b, FreeShipping) and payable >= b.min_order_yen]
    waived = cart.shipping_fee if free else 0
    points = balance(session, customer_id, at=at).points
    usable = usable_points(programme, points, payable)
    applied = min(max(cart.points_to_use, 0), usable)
    if applied < programme.redemption.min_points:
        applied = 0
    paid_goods = payable - applied * programme.redemption.yen_per_point
    earn = compute_earn(
        programme.earn_rules,
        _earn_context(
            session,
            programme,
            customer_id,
            stage.code,
            paid_goods if programme.earn_basis == "after_points" else payable,
            at,
            cart.segments,
        ),
        programme.rounding,
    )
    return Quote(
        customer_id=customer_id,
        stage=stage.code,
        subtotal=goods.subtotal,
        stage_discount=goods.stage_discount,
        subscription_discount=goods.subscription_discount,
        volume_discount=goods.volume_discount,
        coupon_discount=coupon_off,
        shipping_fee=cart.shipping_fee - waived,
        shipping_waived=waived,
        points_balance=points,
        points_usable=usable,
        points_applied=applied,
        total=paid_goods + cart.shipping_fee - waived,
        points_to_earn=earn.points,
        lines=goods.lines,
        coupons=tuple(coupons),
        coupons_rejected=tuple(rejected),
        earn_lines=tuple(earn.as_dict()["lines"]),
        next_stage_message=status.message,
    )


def _earn_context(
    session: Session,
    programme: Programme,
    customer_id: int,
    stage: str,
    amount: int,
    at: datetime,
    segments: frozenset[str],
) -> EarnContext:
    last = session.scalar(
        select(Order.placed_at)
        .where(Order.customer_id == customer_id, Order.status != "cancelled")
        .order_by(Order.placed_at.desc())
        .limit(1)
    )
    return EarnContext(
        amount=max(amount, 0),
        stage=stage,
        on=local_date(at),
        period_spend_before=qualifying_amount(session, programme, customer_id, at),
        segments=segments,
        days_since_last_order=None if last is None else (at - last).days,
    )
