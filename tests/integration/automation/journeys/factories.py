"""Factories for the journey tests: customers (from the messaging helpers), orders, shipments,
cart events and point lots written straight into the record, and a clock."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from kizuna.automation.journeys import service
from kizuna.automation.journeys.store import do_set_enabled
from kizuna.catalog.models import Product
from kizuna.events.models import Event
from kizuna.orders.models import Order, Shipment
from tests.integration.channels.helpers import add_customers

__all__ = ["add_customers"]

# 2024-06-03 14:00 JST, a Monday afternoon (email is never quiet; SMS would be at night)
NOON = datetime(2024, 6, 3, 5, 0, tzinfo=UTC)
_seq = itertools.count(1)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


def days(n: float) -> timedelta:
    return timedelta(days=n)


def add_order(
    session: Session,
    customer_id: int,
    placed_at: datetime,
    *,
    total: int = 5000,
    status: str = "placed",
) -> Order:
    """An order of ``total`` yen placed at ``placed_at``."""
    n = next(_seq)
    order = Order(
        order_number=f"T{n:06d}",
        customer_id=customer_id,
        placed_at=placed_at,
        subtotal=total,
        total=total,
        status=status,
    )
    session.add(order)
    session.flush()
    return order


def add_shipment(
    session: Session,
    order: Order,
    *,
    shipped_at: datetime | None = None,
    delivered_at: datetime | None = None,
    carrier: str = "ヤマト運輸",
) -> Shipment:
    """A parcel for ``order``."""
    shipment = Shipment(
        order_id=order.id,
        carrier=carrier,
        tracking_number=f"4000{next(_seq):08d}",
        status="delivered" if delivered_at else "shipped",
        shipped_at=shipped_at,
        delivered_at=delivered_at,
    )
    session.add(shipment)
    session.flush()
    return shipment


def add_products(session: Session, skus: Sequence[str]) -> None:
    """Products ``skus`` at ¥1,000, ¥2,000, …"""
    session.add_all(
        Product(sku=sku, name=f"商品 {sku}", price=1000 * (i + 1)) for i, sku in enumerate(skus)
    )
    session.flush()


def add_event(
    session: Session, customer_id: int, kind: str, at: datetime, sku: str | None = None
) -> Event:
    """One on-site event."""
    event = Event(
        event_key=f"e{next(_seq)}",
        customer_id=customer_id,
        type=kind,
        occurred_at=at,
        sku=sku,
        properties={},
    )
    session.add(event)
    session.flush()
    return event


def switch_on(session: Session, *keys: str, holdout: float | None = None, **changes: Any) -> None:
    """Install the presets and switch ``keys`` on (optionally with another holdout share or
    other document changes, published as a new version)."""
    service.install_presets(session, actor="test")
    for key in keys:
        if holdout is not None or changes:
            from kizuna.automation.journeys.store import do_publish, load

            doc = load(session, key).journey
            update = dict(changes)
            if holdout is not None:
                update["holdout_share"] = holdout
            do_publish(session, doc.model_copy(update=update), actor="test")
        do_set_enabled(session, key, True, actor="test")
