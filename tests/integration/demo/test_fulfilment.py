"""``store_subscriptions`` and ``store_shipments``: bulk, idempotent, keyed by the shop's numbers.

(These test ``kizuna.orders.fulfilment``, written for the demo loader.)
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.kit.errors import NotFound, ValidationFailed
from kizuna.orders.fulfilment import (
    ShipmentEventIn,
    ShipmentIn,
    SubscriptionIn,
    store_shipments,
    store_subscriptions,
)  # fmt: skip
from kizuna.orders.models import Order, Shipment, ShipmentEvent, Subscription
from kizuna.orders.schemas import LineIn, OrderIn
from kizuna.orders.service import store_orders

WHEN = datetime(2026, 3, 1, 1, 0, tzinfo=UTC)


@pytest.fixture
def orders(session: Session) -> list[str]:
    """Two stored orders of customer C1."""
    numbers = ["D-1", "D-2"]
    store_orders(session, [
        OrderIn(number, WHEN + timedelta(days=30 * k), (LineIn("COF-1", 1, 1980, 1980),),
                customer="C1")
        for k, number in enumerate(numbers)
    ])  # fmt: skip
    return numbers


def subscription(**changes: object) -> SubscriptionIn:
    base = SubscriptionIn(
        subscription_number="S-1", customer="C1", sku="COF-1", interval_days=30,
        started_at=WHEN, next_date=date(2026, 12, 1), order_numbers=("D-1", "D-2"),
    )  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


def shipment(**changes: object) -> ShipmentIn:
    base = ShipmentIn(
        carrier="ヤマト運輸", tracking_number="123456789012", order_number="D-1",
        status="in_transit", shipped_at=WHEN + timedelta(hours=6),
        events=(ShipmentEventIn("shipped", WHEN + timedelta(hours=6), "荷物受付"),
                ShipmentEventIn("in_transit", WHEN + timedelta(hours=12), "輸送中")),
    )  # fmt: skip
    return replace(base, **changes)  # type: ignore[arg-type]


class TestStoreSubscriptions:
    def test_new_then_unchanged_then_updated(self, session: Session, orders: list[str]) -> None:
        first = store_subscriptions(session, [subscription()])
        again = store_subscriptions(session, [subscription()])
        cancelled = subscription(
            status="cancelled", next_date=None, cancelled_at=WHEN + timedelta(days=40)
        )
        changed = store_subscriptions(session, [cancelled])
        assert (first.inserted, again.unchanged, changed.updated) == (1, 1, 1)
        stored = session.scalars(select(Subscription)).one()
        assert (stored.status, stored.next_date, stored.cancelled_at) == (
            "cancelled",
            None,
            WHEN + timedelta(days=40),
        )

    def test_the_orders_it_produced_are_linked(self, session: Session, orders: list[str]) -> None:
        store_subscriptions(session, [subscription()])
        sub_id = session.scalars(select(Subscription.id)).one()
        linked = session.scalars(select(Order.subscription_id).order_by(Order.order_number)).all()
        assert linked == [sub_id, sub_id]

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            pytest.param({"status": "gone"}, "status", id="unknown_status"),
            pytest.param({"interval_days": 0}, "interval_days", id="no_interval"),
        ],
    )
    def test_invalid_input_is_refused(self, session: Session, changes: dict, field: str) -> None:
        with pytest.raises(ValidationFailed) as caught:
            store_subscriptions(session, [subscription(**changes)])
        assert caught.value.field == field


class TestStoreShipments:
    def test_replaying_the_feed_changes_nothing(self, session: Session, orders: list[str]) -> None:
        first = store_shipments(session, [shipment()])
        again = store_shipments(session, [shipment()])
        assert (first.inserted, again.unchanged, again.updated) == (1, 1, 0)
        assert len(session.scalars(select(ShipmentEvent)).all()) == 2

    def test_a_new_event_is_appended(self, session: Session, orders: list[str]) -> None:
        store_shipments(session, [shipment()])
        done = WHEN + timedelta(days=1)
        delivered = shipment(
            status="delivered", delivered_at=done,
            events=(*shipment().events, ShipmentEventIn("delivered", done, "配達完了")),
        )  # fmt: skip
        counts = store_shipments(session, [delivered])
        stored = session.scalars(select(Shipment)).one()
        statuses = session.scalars(select(ShipmentEvent.status).order_by(ShipmentEvent.at)).all()
        assert counts.updated == 1 and (stored.status, stored.delivered_at) == ("delivered", done)
        assert statuses == ["shipped", "in_transit", "delivered"]

    def test_the_same_tracking_number_at_two_carriers_is_two_parcels(
        self, session: Session, orders: list[str]
    ) -> None:
        counts = store_shipments(
            session, [shipment(), shipment(carrier="佐川急便", order_number="D-2")]
        )
        assert counts.inserted == 2

    def test_an_unknown_order_is_refused(self, session: Session, orders: list[str]) -> None:
        with pytest.raises(NotFound) as caught:
            store_shipments(session, [shipment(order_number="D-404")])
        assert caught.value.message == "order 'D-404' is not stored"

    def test_an_unknown_status_is_refused(self, session: Session, orders: list[str]) -> None:
        with pytest.raises(ValidationFailed):
            store_shipments(session, [shipment(status="lost")])
