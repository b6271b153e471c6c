"""Turning one block's arrays into record inputs: orders, returns, shipments, subscriptions.

Numbers are global and sequential (``D-00000001``, ``R-00000001``, ``S-0000001``), so a re-run
with the same seed produces the same keys and the import reports everything unchanged. Tracking
numbers come from a range the shop was allotted, in label-printing order, hence unique (and cheap
to index: they arrive in order, as real ones do).
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from kizuna.demo.baskets import Baskets
from kizuna.demo.buying import (
    GUEST_ALT_AND_PHONE,
    GUEST_ALT_EMAIL,
    GUEST_ONLY,
    GUEST_SAME_EMAIL,
    MEMBER,
    Plans,
    Purchases,
)  # fmt: skip
from kizuna.demo.calendar import DAY, Calendar
from kizuna.demo.people import People
from kizuna.demo.products import Catalogue
from kizuna.orders.fulfilment import ShipmentEventIn, ShipmentIn, SubscriptionIn
from kizuna.orders.schemas import LineIn, OrderIn, ReturnIn

CHANNELS = ("online", "app", "store", "phone")
CARRIERS = ("ヤマト運輸", "佐川急便", "日本郵便")
_CARRIER_CDF = np.cumsum([0.5, 0.3, 0.2])
TRACKING_BASE = 4_417_0000_0000
RETURN_REASONS = (
    "イメージと違った",
    "破損・汚損",
    "注文間違い",
    "品質不良",
    "配送遅延",
    "不要になった",
)
PLAN_STATUSES = ("active", "paused", "cancelled")
_HOUR = 3600


def order_statuses(cal: Calendar, orders: Purchases, baskets: Baskets) -> np.ndarray:
    """Each order's status at the end of the window."""
    status = np.where(
        cal.end < baskets.shipped, np.where(cal.end < orders.at + _HOUR, "placed", "paid"),
        np.where(cal.end < baskets.delivered, "shipped", "delivered"),
    )  # fmt: skip
    status = np.where(orders.channel == 2, "delivered", status)
    return np.where(baskets.cancelled, "cancelled", status)


def order_records(
    cal: Calendar,
    people: People,
    catalogue: Catalogue,
    orders: Purchases,
    baskets: Baskets,
    status: np.ndarray,
    numbers: list[str],
    keep: np.ndarray,
) -> list[OrderIn | None]:
    """OrderIn for the orders to ``keep``, at their position in the block (None elsewhere)."""
    lines = [
        LineIn(sku=catalogue.skus[p], quantity=q, unit_price=u, amount=a,
               description=catalogue.names[p], discount=d)
        for p, q, u, a, d in zip(
            baskets.product.tolist(), baskets.quantity.tolist(), baskets.unit_price.tolist(),
            baskets.amount.tolist(), baskets.line_discount.tolist(), strict=True,
        )
    ]  # fmt: skip
    bounds = np.searchsorted(baskets.line_order, np.arange(len(orders) + 1)).tolist()
    placed = cal.to_datetimes(orders.at)
    person, checkout = orders.person.tolist(), orders.checkout.tolist()
    out: list[OrderIn | None] = [None] * len(orders)
    for k in np.flatnonzero(keep).tolist():
        customer, email, phone = _buyer(people, person[k], checkout[k])
        out[k] = (OrderIn(
            order_number=numbers[k], placed_at=placed[k],
            lines=tuple(lines[bounds[k] : bounds[k + 1]]),
            customer=customer, guest_email=email, guest_phone=phone,
            channel=CHANNELS[orders.channel[k]], status=str(status[k]), currency="JPY",
            discount=int(baskets.discount[k]), shipping_fee=int(baskets.shipping[k]),
            points_used=int(baskets.points[k]),
        ))  # fmt: skip
    return out


def _buyer(people: People, i: int, how: int) -> tuple[str | None, str | None, str | None]:
    """``(customer external id, guest email, guest phone)`` for an order placed ``how``."""
    if how == MEMBER:
        return people.external_id(i), None, None
    if how == GUEST_SAME_EMAIL:
        return None, people.email[i], None
    if how == GUEST_ALT_AND_PHONE:
        return None, people.alt_email[i], people.phone[i]
    if how == GUEST_ALT_EMAIL:
        return None, people.alt_email[i], None
    assert how == GUEST_ONLY
    gives_phone = people.has_phone[i] and people.index[i] % 5 < 3
    return None, people.email[i], people.phone[i] if gives_phone else None


def return_records(
    rng: np.random.Generator,
    cal: Calendar,
    orders: Purchases,
    baskets: Baskets,
    status: np.ndarray,
    records: list[OrderIn | None],
    keep: np.ndarray,
    first_number: int,
) -> list[ReturnIn]:
    """About 3% of delivered orders come back, whole or one line, within two weeks."""
    done = np.where(orders.channel == 2, orders.at, baskets.delivered)
    chosen = np.flatnonzero((status == "delivered") & (done + 3 * DAY < cal.end)
                            & (rng.random(len(orders)) < 0.03))  # fmt: skip
    back = np.minimum(done[chosen] + rng.integers(DAY, 14 * DAY, len(chosen)), cal.end - _HOUR)
    whole = rng.random(len(chosen)) < 0.6
    reasons = rng.integers(0, len(RETURN_REASONS), len(chosen))
    mine = keep[chosen]
    chosen, whole, reasons = chosen[mine], whole[mine], reasons[mine].tolist()
    when = cal.to_datetimes(back[mine])
    out = []
    for n, k in enumerate(chosen.tolist()):
        order = records[k]
        assert order is not None
        lines = order.lines
        if not whole[n] and len(lines) > 1:
            first = lines[0]
            unit = first.amount // first.quantity
            lines = (LineIn(sku=first.sku, quantity=1, unit_price=first.unit_price, amount=unit),)
        out.append(ReturnIn(
            return_number=f"R-{first_number + n + 1:08d}", returned_at=when[n],
            lines=tuple(LineIn(sku=ln.sku, quantity=ln.quantity, unit_price=ln.unit_price,
                               amount=ln.amount) for ln in lines),
            order_number=order.order_number, customer=order.customer, currency="JPY",
            reason=RETURN_REASONS[reasons[n]],
        ))  # fmt: skip
    return out


def shipment_records(
    rng: np.random.Generator,
    cal: Calendar,
    orders: Purchases,
    baskets: Baskets,
    status: np.ndarray,
    numbers: list[str],
    serial: np.ndarray,
    keep: np.ndarray,
) -> list[ShipmentIn]:
    """A parcel for every paid, non-store order, with the carrier's events up to "today"."""
    chosen = np.flatnonzero(
        (orders.channel != 2) & np.isin(status, ("paid", "shipped", "delivered"))
    )
    carrier = np.minimum(np.searchsorted(_CARRIER_CDF, rng.random(len(chosen)), side="right"), 2)
    mine = keep[chosen]
    chosen, carrier = chosen[mine], carrier[mine]
    tracking = (TRACKING_BASE + serial[chosen]).tolist()
    stamps = _event_times(orders.at[chosen], baskets.shipped[chosen], baskets.delivered[chosen])
    seen = {name: stamps[name] < cal.end for name in stamps}
    seen["failed"] &= baskets.failed_attempt[chosen]
    seen["preparing"] &= ~seen["shipped"]
    reports = [_reports(cal, name, note, stamps[name], seen[name]) for name, note in _STEPS]
    shipped_at, delivered_at = reports[1], reports[-1]
    out = []
    for n, (k, row) in enumerate(zip(chosen.tolist(), zip(*reports, strict=True), strict=True)):
        events = tuple(event for event in row if event is not None)
        shipped, delivered = shipped_at[n], delivered_at[n]
        out.append(ShipmentIn(
            carrier=CARRIERS[carrier[n]], tracking_number=f"{tracking[n]:012d}",
            order_number=numbers[k], status=events[-1].status if events else "preparing",
            shipped_at=shipped.at if shipped else None,
            delivered_at=delivered.at if delivered else None, events=events,
        ))  # fmt: skip
    return out


# The carrier's reports in the order they happen: "preparing" only while the parcel waits,
# "failed" (nobody home) for some, before the second delivery round.
_STEPS = (
    ("preparing", "出荷準備中"), ("shipped", "荷物受付"), ("in_transit", "輸送中"),
    ("failed", "ご不在のため持ち戻り"), ("out_for_delivery", "配達中"), ("delivered", "配達完了"),
)  # fmt: skip


def _reports(cal: Calendar, name: str, note: str, seconds: np.ndarray,
             seen: np.ndarray) -> list[ShipmentEventIn | None]:  # fmt: skip
    """One status report per parcel where ``seen`` (reported before "today"), else None."""
    times = cal.to_datetimes(np.minimum(seconds, cal.end))
    return [ShipmentEventIn(name, t, note) if s else None
            for t, s in zip(times, seen.tolist(), strict=True)]  # fmt: skip


def _event_times(at: np.ndarray, shipped: np.ndarray, delivered: np.ndarray) -> dict:
    return {
        "preparing": at + _HOUR,
        "shipped": shipped,
        "in_transit": shipped + 6 * _HOUR,
        "failed": delivered - DAY,
        "out_for_delivery": delivered - 3 * _HOUR,
        "delivered": delivered,
    }


def subscription_records(
    cal: Calendar,
    people: People,
    catalogue: Catalogue,
    plans: Plans,
    plan_sku: np.ndarray,
    orders: Purchases,
    numbers: list[str],
    size: int,
    first_number: int,
) -> list[SubscriptionIn]:
    """SubscriptionIn for the plans of the first ``size`` people, naming the orders of each."""
    started = cal.to_datetimes(plans.start)
    cancelled = cal.to_datetimes(np.maximum(plans.cancelled, 0))
    by_plan: dict[int, list[str]] = {}
    for k in np.flatnonzero(orders.plan >= 0).tolist():
        by_plan.setdefault(int(orders.plan[k]), []).append(numbers[k])
    out: list[SubscriptionIn] = []
    for n in np.flatnonzero(plans.person < size).tolist():
        person = int(plans.person[n])
        status = PLAN_STATUSES[plans.status[n]]
        next_day = int(plans.next_day[n])
        out.append(SubscriptionIn(
            subscription_number=f"S-{first_number + len(out) + 1:07d}",
            customer=people.external_id(person), sku=catalogue.skus[plan_sku[n]],
            interval_days=int(plans.interval[n]), started_at=started[n], status=status,
            next_date=cal.first + timedelta(days=next_day) if next_day >= 0 else None,
            cancelled_at=cancelled[n] if status == "cancelled" else None,
            order_numbers=tuple(by_plan.get(n, ())),
        ))  # fmt: skip
    return out
