"""Factories for the loyalty tests: members and orders recorded through the order service, so
that the ledger sees the same rows the importer writes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.customers.models import Customer
from kizuna.orders.models import Order, Return
from kizuna.orders.schemas import LineIn, OrderIn, ReturnIn
from kizuna.orders.service import store_orders, store_returns

T0 = datetime(2026, 5, 10, 3, 0, tzinfo=UTC)  # 2026-05-10 12:00 JST, fiscal year 2026


def member(session: Session, external_id: str = "M1", *, is_member: bool = True, **fields) -> int:
    """A customer (member by default); its id."""
    customer = Customer(external_id=external_id, is_member=is_member, **fields)
    session.add(customer)
    session.flush()
    return customer.id


def order(
    session: Session,
    customer_external_id: str,
    number: str,
    amount: int,
    *,
    at: datetime = T0,
    points_used: int = 0,
    discount: int = 0,
    status: str = "paid",
    lines: tuple[LineIn, ...] | None = None,
) -> int:
    """An order of ``amount`` yen of goods (one line unless ``lines``); its id."""
    lines = lines or (LineIn("SKU-" + number, 1, amount, amount),)
    store_orders(
        session,
        [
            OrderIn(
                order_number=number,
                placed_at=at,
                lines=lines,
                customer=customer_external_id,
                status=status,
                points_used=points_used,
                discount=discount,
            )
        ],
    )
    return session.execute(select(Order.id).where(Order.order_number == number)).scalar_one()


def give_back(
    session: Session, order_number: str, number: str, amount: int, *, at: datetime | None = None
) -> int:
    """A return of ``amount`` yen against ``order_number``; its id."""
    placed = session.execute(
        select(Order.placed_at).where(Order.order_number == order_number)
    ).scalar_one()
    store_returns(
        session,
        [
            ReturnIn(
                return_number=number,
                returned_at=at or placed + timedelta(days=3),
                lines=(LineIn("RET", 1, amount, amount),),
                order_number=order_number,
            )
        ],
    )
    return session.execute(select(Return.id).where(Return.return_number == number)).scalar_one()


def days(n: float) -> timedelta:
    return timedelta(days=n)


__all__ = ["T0", "UTC", "days", "give_back", "member", "order"]
