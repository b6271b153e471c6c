"""Order reads: monthly sales and repeat rate for the overview (shop time zone months)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, func, literal_column, select
from sqlalchemy.orm import Session

from kizuna.orders.models import Order


@dataclass(frozen=True)
class MonthSales:
    """One month in the shop's zone: orders, revenue (minor units), buyers, and repeat buyers."""

    month: str
    orders: int
    revenue: int
    buyers: int
    repeat_buyers: int

    @property
    def repeat_rate(self) -> float:
        return self.repeat_buyers / self.buyers if self.buyers else 0.0


def _month_expr(session: Session, column: Any, zone: str) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone(zone, column), "YYYY-MM")
    offset = ZoneInfo(zone).utcoffset(datetime.now())  # noqa: DTZ005
    hours = offset.total_seconds() / 3600 if offset else 0
    return func.strftime("%Y-%m", column, f"{hours:+.0f} hours")


def monthly_sales(
    session: Session, months: int = 12, zone: str = "Asia/Tokyo", until: datetime | None = None
) -> list[MonthSales]:
    """The last ``months`` months with orders (up to ``until``, default the latest order)."""
    latest = until or session.scalar(select(func.max(Order.placed_at)))
    if latest is None:
        return []
    start = since_date(months, latest.astimezone(ZoneInfo(zone)).date())
    since = datetime(start.year, start.month, 1, tzinfo=ZoneInfo(zone))
    month = _month_expr(session, Order.placed_at, zone).label("month")
    live = Order.status != "cancelled"
    totals = session.execute(
        select(month, func.count(), func.sum(Order.total), func.count(Order.customer_id.distinct()))
        .where(Order.placed_at >= since, live)
        .group_by(literal_column("month"))
    )
    repeat: dict[str, int] = dict(session.execute(_repeat_buyers(session, since, zone)).all())
    return [
        MonthSales(m, n, int(revenue or 0), buyers, repeat.get(m, 0))
        for m, n, revenue, buyers in sorted(totals)
    ]


def _repeat_buyers(session: Session, since: datetime, zone: str) -> Select[Any]:
    """Per month, buyers whose first order was in an earlier month."""
    first = (
        select(Order.customer_id, func.min(Order.placed_at).label("first_at"))
        .where(Order.customer_id.is_not(None), Order.status != "cancelled")
        .group_by(Order.customer_id)
        .subquery()
    )
    month = _month_expr(session, Order.placed_at, zone)
    first_month = _month_expr(session, first.c.first_at, zone)
    per_month = (
        select(month.label("month"), Order.customer_id)
        .join(first, first.c.customer_id == Order.customer_id)
        .where(Order.placed_at >= since, Order.status != "cancelled", first_month < month)
        .distinct()
        .subquery()
    )
    return select(per_month.c.month, func.count()).group_by(per_month.c.month)


def order_counts(session: Session) -> dict[str, Any]:
    """Orders in total, the main currency and the date range of the record."""
    count, first, last = session.execute(
        select(func.count(), func.min(Order.placed_at), func.max(Order.placed_at))
    ).one()
    currency = session.scalar(
        select(Order.currency).group_by(Order.currency).order_by(func.count().desc()).limit(1)
    )
    return {
        "orders": count,
        "currency": currency or "JPY",
        "first_order_at": first,
        "last_order_at": last,
    }


def since_date(months: int, today: date) -> date:
    """The first day of the month ``months - 1`` months before ``today``'s month."""
    year, month = today.year, today.month - (months - 1)
    while month <= 0:
        month += 12
        year -= 1
    return date(year, month, 1)


def customer_order_totals(session: Session, customer_id: int) -> dict[str, Any]:
    """The customer's order count, total spend (cancelled orders excluded) and currency."""
    count, spend, currency = session.execute(
        select(
            func.count(), func.coalesce(func.sum(Order.total), 0), func.max(Order.currency)
        ).where(Order.customer_id == customer_id, Order.status != "cancelled")
    ).one()
    return {"order_count": count, "total_spend": int(spend), "currency": currency or "JPY"}
