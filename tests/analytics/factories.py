"""Arrange small shops for the analytics suite through the record's own services.

Times are given in the shop's zone (Asia/Tokyo) and stored as UTC, as the importer does.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.customers.models import Customer
from kizuna.customers.schemas import CustomerIn
from kizuna.customers.service import upsert_customers
from kizuna.events.schemas import EventIn
from kizuna.events.service import store_events
from kizuna.orders.fulfilment import SubscriptionIn, store_subscriptions
from kizuna.orders.schemas import LineIn, OrderIn, ReturnIn
from kizuna.orders.service import store_orders, store_returns

TOKYO = ZoneInfo("Asia/Tokyo")
AS_OF = date(2024, 6, 30)


def at(day: date, hour: int = 12, minute: int = 0) -> datetime:
    """``day`` at ``hour:minute`` in Tokyo, as an aware datetime."""
    return datetime.combine(day, time(hour, minute), tzinfo=TOKYO)


def ago(days: int, hour: int = 12) -> datetime:
    """``days`` before ``AS_OF`` at ``hour`` in Tokyo."""
    return at(AS_OF - timedelta(days=days), hour)


def customers(session: Session, *external_ids: str, **fields: object) -> dict[str, int]:
    """Members with these external ids (and any CustomerIn fields); their record ids."""
    upsert_customers(
        session,
        [CustomerIn(external_id=e, registered_at=ago(800), **fields) for e in external_ids],  # type: ignore[arg-type]
    )
    return ids_of(session, *external_ids)


def ids_of(session: Session, *external_ids: str) -> dict[str, int]:
    """The record ids of these customers."""
    rows = session.execute(
        select(Customer.external_id, Customer.id).where(Customer.external_id.in_(external_ids))
    )
    return {str(external_id): cid for external_id, cid in rows}


def order(
    number: str,
    customer: str | None,
    placed_at: datetime,
    amount: int = 10_000,
    *,
    status: str = "delivered",
    email: str | None = None,
    channel: str = "online",
    sku: str = "BEAN-1",
) -> OrderIn:
    """An order of one line worth ``amount`` yen."""
    return OrderIn(
        order_number=number,
        placed_at=placed_at,
        lines=(LineIn(sku, 1, amount, amount),),
        customer=customer,
        guest_email=email,
        status=status,
        channel=channel,
    )


def orders(session: Session, items: Sequence[OrderIn]) -> None:
    """Record the orders."""
    store_orders(session, list(items))


def give_back(
    session: Session, number: str, order_number: str | None, returned_at: datetime, amount: int,
    customer: str | None = None,
) -> None:  # fmt: skip
    """Record a return of ``amount`` against ``order_number`` (or naming no order)."""
    line = LineIn("BEAN-1", 1, amount, amount)
    store_returns(
        session,
        [ReturnIn(number, returned_at, (line,), order_number=order_number, customer=customer)],
    )


def event(session: Session, key: str, customer: str, kind: str, occurred_at: datetime) -> None:
    """Record one on-site event of ``customer``."""
    store_events(session, [EventIn(key, kind, occurred_at, customer=customer, sku="BEAN-1")])


def subscribe(
    session: Session, number: str, customer: str, started_at: datetime, **fields: object
) -> None:
    """Record a 定期 subscription."""
    store_subscriptions(
        session,
        [SubscriptionIn(number, customer, "BEAN-1", 30, started_at, **fields)],  # type: ignore[arg-type]
    )
