"""Recording orders and returns: idempotent by number, updated in place when changed, customers
and products created as stubs when unknown."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.catalog.models import Product
from kizuna.customers.models import Customer
from kizuna.kit.errors import Conflict
from kizuna.orders.models import Order, OrderLine, Return, ReturnLine
from kizuna.orders.schemas import LineIn, OrderIn, ReturnIn
from kizuna.orders.service import record_order, store_orders, store_returns

WHEN = datetime(2024, 1, 5, 1, 0, tzinfo=UTC)
BEANS = LineIn("BEAN-1", 2, 1800, 3600, "深煎りブレンド 200g")
MUG = LineIn("CUP-1", 1, 2500, 2200, "有田焼マグカップ", 300)


def a1001(**changes: object) -> OrderIn:
    fields: dict = {
        "order_number": "A-1001",
        "placed_at": WHEN,
        "lines": (BEANS, MUG),
        "customer": "C1",
        "channel": "online",
        "status": "paid",
        "shipping_fee": 500,
        "points_used": 100,
    }
    return OrderIn(**(fields | changes))


def lines_of(session: Session, order_number: str) -> list[tuple]:
    rows = session.execute(
        select(
            OrderLine.line_no,
            OrderLine.sku,
            OrderLine.quantity,
            OrderLine.unit_price,
            OrderLine.discount,
            OrderLine.amount,
        )
        .join(Order, Order.id == OrderLine.order_id)
        .where(Order.order_number == order_number)
        .order_by(OrderLine.line_no)
    )
    return [tuple(row) for row in rows]


def order_row(session: Session, number: str) -> Order:
    return session.execute(select(Order).where(Order.order_number == number)).scalar_one()


class TestStoreOrders:
    def test_a_new_order_is_stored_with_lines_and_totals(self, session: Session) -> None:
        counts = store_orders(session, [a1001()])
        assert (counts.inserted, counts.updated, counts.unchanged) == (1, 0, 0)
        stored = order_row(session, "A-1001")
        assert (
            stored.subtotal,
            stored.discount,
            stored.shipping_fee,
            stored.points_used,
            stored.total,
            stored.currency,
        ) == (5800, 0, 500, 100, 6200, "JPY")
        assert stored.placed_at == WHEN
        assert lines_of(session, "A-1001") == [
            (1, "BEAN-1", 2, 1800, 0, 3600),
            (2, "CUP-1", 1, 2500, 300, 2200),
        ]

    def test_the_same_order_again_is_unchanged_and_untouched(self, session: Session) -> None:
        store_orders(session, [a1001()])
        before = order_row(session, "A-1001").updated_at
        counts = store_orders(session, [a1001()])
        assert (counts.inserted, counts.updated, counts.unchanged) == (0, 0, 1)
        session.expire_all()
        assert order_row(session, "A-1001").updated_at == before

    def test_a_changed_order_is_updated_in_place_with_its_lines_replaced(
        self, session: Session
    ) -> None:
        store_orders(session, [a1001()])
        first_id = order_row(session, "A-1001").id
        counts = store_orders(session, [a1001(status="shipped", lines=(BEANS,))])
        assert (counts.inserted, counts.updated, counts.unchanged) == (0, 1, 0)
        session.expire_all()
        stored = order_row(session, "A-1001")
        assert (stored.id, stored.status, stored.subtotal, stored.total) == (
            first_id,
            "shipped",
            3600,
            4000,
        )
        assert lines_of(session, "A-1001") == [(1, "BEAN-1", 2, 1800, 0, 3600)]

    def test_a_repeated_order_number_in_one_batch_keeps_the_last(self, session: Session) -> None:
        counts = store_orders(session, [a1001(), a1001(status="delivered")])
        assert (counts.inserted, counts.updated, counts.unchanged) == (1, 0, 1)
        assert order_row(session, "A-1001").status == "delivered"

    def test_unknown_customer_and_skus_get_stubs(self, session: Session) -> None:
        store_orders(session, [a1001(country="Japan", currency="USD")])
        member = session.execute(select(Customer)).scalar_one()
        assert (
            member.external_id,
            member.is_member,
            member.country,
            member.registration_channel,
        ) == ("C1", True, "Japan", "import")
        products = session.execute(
            select(Product.sku, Product.name, Product.price, Product.currency).order_by(Product.sku)
        ).all()
        assert [tuple(p) for p in products] == [
            ("BEAN-1", "深煎りブレンド 200g", 0, "USD"),
            ("CUP-1", "有田焼マグカップ", 0, "USD"),
        ]

    def test_an_order_without_customer_or_guest_identity_has_no_customer(
        self, session: Session
    ) -> None:
        store_orders(session, [a1001(customer=None)])
        assert order_row(session, "A-1001").customer_id is None
        assert session.scalars(select(Customer.id)).all() == []


class TestStoreReturns:
    def ret(self, **changes: object) -> ReturnIn:
        fields: dict = {
            "return_number": "R-1",
            "returned_at": WHEN,
            "lines": (MUG,),
            "order_number": "A-1001",
            "customer": "C1",
            "reason": "破損",
        }
        return ReturnIn(**(fields | changes))

    def test_return_is_linked_to_its_order_and_customer(self, session: Session) -> None:
        store_orders(session, [a1001()])
        counts = store_returns(session, [self.ret()])
        assert (counts.inserted, counts.updated, counts.unchanged) == (1, 0, 0)
        stored = session.execute(select(Return)).scalar_one()
        order = order_row(session, "A-1001")
        assert (stored.order_id, stored.customer_id, stored.amount, stored.reason) == (
            order.id,
            order.customer_id,
            2200,
            "破損",
        )

    def test_same_return_again_is_unchanged_and_a_changed_one_keeps_its_id(
        self, session: Session
    ) -> None:
        store_orders(session, [a1001()])
        store_returns(session, [self.ret()])
        first_id = session.execute(select(Return.id)).scalar_one()
        again = store_returns(session, [self.ret()])
        changed = store_returns(session, [self.ret(lines=(MUG, BEANS), reason="誤配送")])
        assert (again.unchanged, changed.updated, changed.inserted) == (1, 1, 0)
        session.expire_all()
        stored = session.execute(select(Return)).scalar_one()
        assert (stored.id, stored.amount, stored.reason) == (first_id, 5800, "誤配送")
        lines = session.execute(
            select(ReturnLine.return_id, ReturnLine.line_no, ReturnLine.sku).order_by(
                ReturnLine.line_no
            )
        ).all()
        assert [tuple(line) for line in lines] == [(first_id, 1, "CUP-1"), (first_id, 2, "BEAN-1")]

    def test_return_of_an_unknown_order_is_kept_without_an_order(self, session: Session) -> None:
        store_returns(session, [self.ret(order_number="A-404")])
        stored = session.execute(select(Return)).scalar_one()
        assert (stored.return_number, stored.order_id, stored.amount) == ("R-1", None, 2200)


class TestRecordOrder:
    def test_same_key_and_order_is_unchanged(self, session: Session) -> None:
        assert record_order(session, a1001(idempotency_key="k-1")) == "inserted"
        assert record_order(session, a1001(idempotency_key="k-1")) == "unchanged"
        assert record_order(session, a1001(idempotency_key="k-1", status="shipped")) == "updated"

    def test_a_key_reused_for_another_order_is_a_conflict(self, session: Session) -> None:
        record_order(session, a1001(idempotency_key="k-1"))
        with pytest.raises(Conflict) as caught:
            record_order(session, a1001(order_number="A-1002", idempotency_key="k-1"))
        assert caught.value.to_dict() == {
            "code": "conflict",
            "message": "Idempotency-Key was already used for order A-1001",
            "field": "Idempotency-Key",
        }
        assert session.scalars(select(Order.order_number)).all() == ["A-1001"]
