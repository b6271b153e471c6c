"""What demo orders contain and cost: lines by category affinity, discounts, points, shipping.

All amounts are integer yen. Shipping is free from ¥5,000 (after the coupon), in the store and on
subscriptions; subscriptions get 10% off (定期割); New Year, early July and Black Friday are sales.
Orders are fulfilled on a timeline (paid, shipped, delivered) so that recent ones are still on
their way at "today"; about 2% are cancelled.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from kizuna.demo.buying import MEMBER, Plans, Purchases
from kizuna.demo.calendar import DAY, Calendar
from kizuna.demo.people import People
from kizuna.demo.products import GIFT_CATEGORY, Catalogue

FREE_SHIPPING_FROM = 5000
SHIPPING_FEE = 550
_LINES_CDF = np.cumsum([0.55, 0.3, 0.11, 0.04])
_QTY_CDF = np.cumsum([0.76, 0.17, 0.05, 0.02])
_COUPONS = np.array([300, 500, 1000])
HOUR = 3600


@dataclass
class Baskets:
    """Lines (sorted by order) and per-order amounts and fulfilment times of one block."""

    line_order: np.ndarray
    product: np.ndarray
    quantity: np.ndarray
    unit_price: np.ndarray
    line_discount: np.ndarray
    amount: np.ndarray
    subtotal: np.ndarray
    discount: np.ndarray
    points: np.ndarray
    shipping: np.ndarray
    cancelled: np.ndarray
    shipped: np.ndarray
    delivered: np.ndarray
    failed_attempt: np.ndarray


def fill_baskets(
    rng: np.random.Generator,
    cal: Calendar,
    people: People,
    catalogue: Catalogue,
    orders: Purchases,
    plans: Plans,
    plan_sku: np.ndarray,
) -> Baskets:
    """Lines and amounts for every order."""
    size = len(orders)
    lines = np.minimum(np.searchsorted(_LINES_CDF, rng.random(size), side="right") + 1, 4)
    lines = np.where(orders.plan >= 0, 1, lines)
    line_order = np.repeat(np.arange(size), lines)
    affinity = people.affinity[orders.person[line_order]]
    product = draw_products(rng, cal, catalogue, affinity, orders.at[line_order])
    product = np.where(orders.plan[line_order] >= 0, plan_sku[orders.plan[line_order]], product)
    keep = _first_of_each(line_order, product, len(catalogue.skus))
    line_order, product = line_order[keep], product[keep]
    quantity = np.searchsorted(_QTY_CDF, rng.random(len(product)), side="right") + 1
    quantity = np.where(quantity > 3, rng.integers(4, 7, len(product)), quantity)
    unit = catalogue.price[product]
    rate = _discount_rates(rng, cal, orders, line_order)
    line_discount = (quantity * unit * rate / 10).astype(np.int64) * 10
    amount = quantity * unit - line_discount
    subtotal = np.bincount(line_order, weights=amount, minlength=size).astype(np.int64)
    discount = _coupons(rng, orders, subtotal)
    points = _points(rng, orders, subtotal - discount)
    free = (orders.channel == 2) | (orders.plan >= 0) | (subtotal - discount >= FREE_SHIPPING_FROM)
    shipped, delivered, failed = _timeline(rng, orders.at)
    return Baskets(
        line_order=line_order, product=product, quantity=quantity, unit_price=unit,
        line_discount=line_discount, amount=amount, subtotal=subtotal, discount=discount,
        points=points, shipping=np.where(free, 0, SHIPPING_FEE),
        cancelled=(rng.random(size) < 0.02) & (orders.plan < 0), shipped=shipped,
        delivered=delivered, failed_attempt=failed,
    )  # fmt: skip


def draw_products(
    rng: np.random.Generator,
    cal: Calendar,
    catalogue: Catalogue,
    affinity: np.ndarray,
    at: np.ndarray,
    gifts: bool = True,
) -> np.ndarray:
    """A product per row: a category from the row's taste (cumulative ``affinity``; gifts in gift
    season), then a product of that category by popularity, never one launched after ``at``."""
    size = len(at)
    category = np.minimum((rng.random(size)[:, None] > affinity).sum(axis=1), affinity.shape[1] - 1)
    if gifts:
        category = np.where(cal.gift[at // DAY] & (rng.random(size) < 0.3), GIFT_CATEGORY, category)
    u = rng.random(size)
    product = np.zeros(size, dtype=np.int64)
    for index, (members, cdf) in enumerate(
        zip(catalogue.by_category, catalogue.cdf_by_category, strict=True)
    ):
        chosen = category == index
        picks = np.minimum(np.searchsorted(cdf, u[chosen], side="right"), len(members) - 1)
        product[chosen] = members[picks]
        launched = members[catalogue.launch_day[members] < 0]
        too_new = chosen & (catalogue.launch_day[product] * DAY > at)
        product[too_new] = launched[0] if len(launched) else members[0]
    return product


def _first_of_each(line_order: np.ndarray, product: np.ndarray, products: int) -> np.ndarray:
    """Positions of the first line of each (order, product), in line order: no duplicate SKUs."""
    _, first = np.unique(line_order * products + product, return_index=True)
    return np.sort(first)


def _discount_rates(
    rng: np.random.Generator, cal: Calendar, orders: Purchases, line_order: np.ndarray
) -> np.ndarray:
    size = len(line_order)
    sale = cal.sale[orders.at[line_order] // DAY]
    u = rng.random(size)
    rate = np.where(sale & (u < 0.25), rng.choice([0.1, 0.15, 0.2], size), 0.0)
    rate = np.where(~sale & (u < 0.03), 0.1, rate)
    return np.where(orders.plan[line_order] >= 0, 0.1, rate)


def _coupons(rng: np.random.Generator, orders: Purchases, subtotal: np.ndarray) -> np.ndarray:
    size = len(subtotal)
    first = np.concatenate([[True], orders.person[1:] != orders.person[:-1]])
    coupon = _COUPONS[rng.integers(0, 3, size)]
    u = rng.random(size)
    welcome = first & (orders.checkout == MEMBER) & (subtotal >= 2000) & (u < 0.3)
    general = (subtotal >= 3000) & (u > 0.93)
    discount = np.where(welcome, 500, np.where(general, coupon, 0))
    discount = np.minimum(discount, subtotal // 500 * 100)
    return np.where(orders.plan >= 0, 0, discount)


def _points(rng: np.random.Generator, orders: Purchases, payable: np.ndarray) -> np.ndarray:
    size = len(payable)
    uses = (orders.checkout == MEMBER) & (orders.plan < 0) & (rng.random(size) < 0.12)
    wanted = rng.integers(1, 31, size) * 100
    return np.where(uses, np.minimum(wanted, np.maximum(payable, 0)), 0)


def _timeline(rng: np.random.Generator, at: np.ndarray) -> tuple[np.ndarray, ...]:
    """Seconds at which each order ships and is delivered; 4% miss the first delivery attempt."""
    size = len(at)
    shipped = at + rng.integers(6 * HOUR, 48 * HOUR, size)
    delivered = shipped + rng.integers(18 * HOUR, 60 * HOUR, size)
    failed = rng.random(size) < 0.04
    return shipped, delivered + np.where(failed, DAY, 0), failed


def plan_products(
    rng: np.random.Generator, people: People, catalogue: Catalogue, plans: Plans
) -> np.ndarray:
    """The product of each subscription: one of the three bestsellers (on sale since before the
    window) of the subscriber's favourite category among those sold by subscription."""
    taste = np.diff(people.affinity[plans.person], axis=1, prepend=0.0)
    category = np.where(catalogue.subscribable, taste, -1.0).argmax(axis=1)
    staples = [_staples(catalogue, c) for c in range(len(catalogue.by_category))]
    pick = rng.integers(0, 3, len(category)).tolist()
    chosen = [
        staples[c][min(p, len(staples[c]) - 1)]
        for c, p in zip(category.tolist(), pick, strict=True)
    ]
    return np.array(chosen, dtype=np.int64)


def _staples(catalogue: Catalogue, category: int) -> np.ndarray:
    members = catalogue.by_category[category]
    weight = np.diff(catalogue.cdf_by_category[category], prepend=0.0)
    weight = np.where(catalogue.launch_day[members] < 0, weight, -1.0)
    return members[np.argsort(-weight, kind="stable")[:3]]
