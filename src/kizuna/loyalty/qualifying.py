"""What counts towards a stage: the qualifying window and the amount in it, as SQL.

*Qualifying spend* is, over the customer's orders placed in the window and not cancelled, the
goods amount after discounts (``subtotal − discount``; shipping is not spend, points used are)
less what came back in returns recorded before the evaluation instant. *Qualifying points* are
the points earned in the window less their reversals. One ``select`` serves a single customer
(on each order) and everyone (the monthly evaluation), so both always agree.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, Select, and_, func, select
from sqlalchemy.orm import Session

from kizuna.loyalty.dates import day_start, local_date, rolling_start, year_bounds
from kizuna.loyalty.ledger.models import EntryKind, PointEntry
from kizuna.loyalty.programme import Programme, Qualification
from kizuna.orders.models import Order, Return


@dataclass(frozen=True, slots=True)
class Window:
    """The qualifying period on a given day: first day counted (None: lifetime) and the last
    day of the period (None when the period rolls or never ends)."""

    first: date | None
    last: date | None


def window(rule: Qualification, today: date) -> Window:
    """The period that counts on ``today``."""
    if rule.period == "year":
        first, last = year_bounds(today, rule.year_start_month)
        return Window(first, last)
    if rule.period == "rolling_months":
        return Window(rolling_start(today, rule.months), None)
    return Window(None, None)


def _order_filter(start: datetime | None, as_of: datetime) -> list[ColumnElement[bool]]:
    conditions = [
        Order.customer_id.is_not(None),
        Order.status != "cancelled",
        Order.placed_at <= as_of,
    ]
    if start is not None:
        conditions.append(Order.placed_at >= start)
    return conditions


def qualifying_select(
    programme: Programme,
    as_of: datetime,
    customer_id: int | None = None,
    *,
    customer_ids: Collection[int] | None = None,
) -> Select:
    """``(customer_id, amount)`` for every customer with something in the window up to and
    including ``as_of`` (or only ``customer_id``, or only ``customer_ids``)."""
    span = window(programme.qualification, local_date(as_of))
    start = day_start(span.first) if span.first else None
    if programme.qualification.basis == "points":
        return _points_select(start, as_of, customer_id, customer_ids)
    where = _order_filter(start, as_of)
    if customer_id is not None:
        where.append(Order.customer_id == customer_id)
    if customer_ids is not None:
        where.append(Order.customer_id.in_(list(customer_ids)))
    spend = (
        select(Order.customer_id, func.sum(Order.subtotal - Order.discount).label("spend"))
        .where(*where)
        .group_by(Order.customer_id)
        .subquery("spend")
    )
    returned = (
        select(Order.customer_id, func.sum(Return.amount).label("returned"))
        .join(Order, Order.id == Return.order_id)
        .where(*where, Return.returned_at <= as_of)
        .group_by(Order.customer_id)
        .subquery("returned")
    )
    amount = spend.c.spend - func.coalesce(returned.c.returned, 0)
    return select(spend.c.customer_id, amount.label("amount")).outerjoin(
        returned, returned.c.customer_id == spend.c.customer_id
    )


def _points_select(
    start: datetime | None,
    as_of: datetime,
    customer_id: int | None,
    customer_ids: Collection[int] | None = None,
) -> Select:
    kinds = (EntryKind.EARN.value, EntryKind.REVERSE_EARN.value)
    where = [PointEntry.kind.in_(kinds), PointEntry.created_at <= as_of]
    if start is not None:
        where.append(PointEntry.created_at >= start)
    if customer_id is not None:
        where.append(PointEntry.customer_id == customer_id)
    if customer_ids is not None:
        where.append(PointEntry.customer_id.in_(list(customer_ids)))
    total = func.sum(PointEntry.points).label("amount")
    return (
        select(PointEntry.customer_id, total).where(and_(*where)).group_by(PointEntry.customer_id)
    )


def qualifying_amount(
    session: Session, programme: Programme, customer_id: int, as_of: datetime
) -> int:
    """The customer's qualifying spend (or points) at ``as_of``; never below zero."""
    row = session.execute(qualifying_select(programme, as_of, customer_id)).first()
    return max(0, int(row.amount)) if row is not None and row.amount is not None else 0


def window_orders(
    session: Session, programme: Programme, customer_id: int, as_of: datetime
) -> list[tuple[date, int]]:
    """``(shop-local day, qualifying amount)`` of each order counted at ``as_of``, oldest
    first (returns deducted from their order) — what the lapse date is computed from."""
    span = window(programme.qualification, local_date(as_of))
    start = day_start(span.first) if span.first else None
    returned = (
        select(Return.order_id, func.sum(Return.amount).label("amount"))
        .join(Order, Order.id == Return.order_id)
        .where(Return.returned_at <= as_of, Order.customer_id == customer_id)
        .group_by(Return.order_id)
        .subquery()
    )
    rows = session.execute(
        select(
            Order.placed_at, Order.subtotal - Order.discount - func.coalesce(returned.c.amount, 0)
        )
        .outerjoin(returned, returned.c.order_id == Order.id)
        .where(*_order_filter(start, as_of), Order.customer_id == customer_id)
        .order_by(Order.placed_at)
    ).all()
    return [(local_date(placed), int(amount)) for placed, amount in rows]
