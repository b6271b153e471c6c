"""Return requests: per order line, by courier pickup or at a store, with the refund worked out;
receiving them reverses exactly the right points; return rates by product and customer."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.ingest.after_purchase import receive_return
from kizuna.kit.errors import Conflict, NotFound, ValidationFailed
from kizuna.loyalty.ledger.post import do_earn
from kizuna.orders.models import Return, ReturnLine
from kizuna.orders.return_reports import (
    list_requests,
    request_summary,
    request_view,
    return_rates_by_customer,
    return_rates_by_product,
)
from kizuna.orders.return_requests import (
    ReturnLineIn,
    ReturnRequestIn,
    do_cancel_return,
    do_decide_return,
    do_mark_refunded,
    do_receive_return,
    do_request_return,
)
from kizuna.orders.schemas import LineIn
from kizuna.orders.warranties import PlanIn, do_create_plan, do_enrol
from tests.integration.feedback.factories import T0, customer, ledger, order

BEANS = LineIn("BEAN-1", 4, 2500, 10000, "深煎りブレンド")
LAMP = LineIn("LAMP-1", 1, 5000, 5000, "LEDスタンド")


def ask(*lines: tuple[int, int], **fields: object) -> ReturnRequestIn:
    base: dict = {
        "order_number": "A-1",
        "reason": "defective",
        "channel": "courier_pickup",
        "lines": tuple(ReturnLineIn(n, q) for n, q in lines),
    }
    return ReturnRequestIn(**(base | fields))


@pytest.fixture
def bought(session: Session) -> tuple[int, int]:
    """Taro's order A-1 (4 bags of beans ¥10,000 and a lamp ¥5,000) that earned 150 points."""
    taro = customer(session, "C1")
    order_id = order(session, "C1", "A-1", (BEANS, LAMP))
    do_earn(session, taro, 150, key="order:A-1:earn", reason="order", order_id=order_id, at=T0)
    return taro, order_id


class TestPartialReturnReversesTheRightPoints:
    def test_one_of_four_bags_reverses_a_sixth_of_the_points_once(
        self, session: Session, bought: tuple[int, int]
    ) -> None:
        taro, _ = bought
        # when one bag (¥2,500 of ¥15,000) is requested back, approved and received
        request = do_request_return(session, ask((1, 1)), at=T0 + timedelta(days=3))
        assert (request.number, request.refund_amount, request.status) == (
            "RR-A-1-1",
            2500,
            "requested",
        )
        do_decide_return(session, request.id, approve=True, actor="shop")
        outcome = receive_return(session, request.id, actor="warehouse", at=T0 + timedelta(days=5))
        # then the return is on the record, and 150 × 2,500 / 15,000 = 25 points go back
        stored = session.scalars(select(Return).where(Return.id == outcome.return_id)).one()
        assert (stored.return_number, stored.amount) == ("RR-A-1-1", 2500)
        lines = session.execute(select(ReturnLine.sku, ReturnLine.quantity, ReturnLine.amount))
        assert [tuple(r) for r in lines] == [("BEAN-1", 1, 2500)]
        assert outcome.reversal is not None
        assert (outcome.reversal.reversed_points, outcome.reversal.balance) == (25, 125)
        # and receiving it again reverses nothing more
        again = receive_return(session, request.id, actor="warehouse")
        assert again.reversal is not None and again.reversal.replayed is True
        assert ledger(session, taro) == [("earn", 150, "order"), ("reverse_earn", -25, "return")]

    def test_the_rest_returned_later_reaches_exactly_what_the_goods_earned(
        self, session: Session, bought: tuple[int, int]
    ) -> None:
        taro, _ = bought
        first = do_request_return(session, ask((1, 1)))
        receive_return(session, first.id, actor="store")
        rest = do_request_return(session, ask((1, 3), (2, 1), channel="store", store_code="S01"))
        outcome = receive_return(session, rest.id, actor="store")
        assert outcome.reversal is not None
        assert (outcome.reversal.reversed_points, outcome.reversal.balance) == (125, 0)
        assert sum(points for _, points, _ in ledger(session, taro)) == 0


class TestAmounts:
    def test_a_line_returned_in_parts_adds_up_to_its_amount(self, session: Session) -> None:
        customer(session, "C1")
        order(session, "C1", "A-1", (LineIn("TEA-1", 3, 1000, 2999, None, 1),))
        parts = [do_request_return(session, ask((1, 1))).refund_amount for _ in range(3)]
        assert parts == [999, 1000, 1000]

    def test_the_order_discount_is_shared_in_the_customers_favour(self, session: Session) -> None:
        customer(session, "C1")
        order(session, "C1", "A-1", (BEANS, LAMP), discount=1001)
        one = do_request_return(session, ask((1, 1)))
        # 2,500 − floor(1,001 × 2,500 / 15,000) = 2,500 − 166
        assert one.refund_amount == 2334
        rest = do_request_return(session, ask((1, 3), (2, 1)))
        assert one.refund_amount + rest.refund_amount == 15000 - 1001
        view = request_view(session, rest.id)
        assert view["lines"] == [
            {"line_no": 1, "sku": "BEAN-1", "quantity": 3, "amount": 7500},
            {"line_no": 2, "sku": "LAMP-1", "quantity": 1, "amount": 5000},
        ]


class TestBadRequests:
    @pytest.mark.parametrize(
        ("request_in", "field"),
        [
            pytest.param(ask((1, 5)), "lines[0].quantity", id="more_than_bought"),
            pytest.param(ask((1, 0)), "lines[0].quantity", id="zero"),
            pytest.param(ask((9, 1)), "lines[0].line_no", id="unknown_line"),
            pytest.param(ask((1, 1), (1, 1)), "lines[1].line_no", id="line_twice"),
            pytest.param(ask(), "lines", id="no_lines"),
            pytest.param(ask((1, 1), channel="post"), "channel", id="unknown_channel"),
            pytest.param(ask((1, 1), reason="bored"), "reason", id="unknown_reason"),
            pytest.param(ask((1, 1), reason="other"), "note", id="other_without_note"),
            pytest.param(
                ask((1, 1), channel="store", pickup_on=T0.date()),
                "pickup_on",
                id="pickup_at_a_store",
            ),
        ],
    )
    def test_each_error_names_the_field(
        self, session: Session, bought: tuple[int, int], request_in: ReturnRequestIn, field: str
    ) -> None:
        with pytest.raises(ValidationFailed) as caught:
            do_request_return(session, request_in)
        assert caught.value.field == field

    def test_what_is_already_requested_cannot_be_requested_again(
        self, session: Session, bought: tuple[int, int]
    ) -> None:
        do_request_return(session, ask((1, 3)))
        with pytest.raises(ValidationFailed, match="2 to return, 1 left") as caught:
            do_request_return(session, ask((1, 2)))
        assert caught.value.field == "lines[0].quantity"

    def test_a_rejected_request_frees_its_quantity(
        self, session: Session, bought: tuple[int, int]
    ) -> None:
        first = do_request_return(session, ask((1, 4)))
        with pytest.raises(ValidationFailed) as caught:
            do_decide_return(session, first.id, approve=False, actor="shop")
        assert caught.value.field == "note"
        do_decide_return(session, first.id, approve=False, actor="shop", note="開封済み")
        assert do_request_return(session, ask((1, 4))).status == "requested"

    def test_unknown_and_cancelled_orders(self, session: Session) -> None:
        with pytest.raises(NotFound) as caught:
            do_request_return(session, ask((1, 1), order_number="NOPE"))
        assert caught.value.field == "order_number"
        customer(session, "C1")
        order(session, "C1", "A-9", status="cancelled")
        with pytest.raises(ValidationFailed) as caught:
            do_request_return(session, ask((1, 1), order_number="A-9"))
        assert caught.value.field == "order_number"

    def test_only_the_orders_customer_may_ask(
        self, session: Session, bought: tuple[int, int]
    ) -> None:
        hanako = customer(session, "C2")
        with pytest.raises(ValidationFailed) as caught:
            do_request_return(session, ask((1, 1), customer_id=hanako))
        assert caught.value.field == "customer_id"


class TestStatuses:
    def test_the_happy_path_and_refused_moves(
        self, session: Session, bought: tuple[int, int]
    ) -> None:
        request = do_request_return(session, ask((2, 1)), at=T0)
        with pytest.raises(Conflict):
            do_mark_refunded(session, request.id, actor="shop")
        do_receive_return(session, request.id, actor="store")
        with pytest.raises(Conflict):
            do_cancel_return(session, request.id, actor="customer")
        done = do_mark_refunded(session, request.id, actor="shop")
        assert (done.status, done.refunded_at is not None) == ("refunded", True)
        cancelled = do_request_return(session, ask((1, 1)))
        do_cancel_return(session, cancelled.id, actor="customer")
        with pytest.raises(Conflict) as caught:
            do_receive_return(session, cancelled.id, actor="store")
        assert caught.value.field == "status"

    def test_a_repeat_with_the_storefronts_number_is_the_same_request(
        self, session: Session, bought: tuple[int, int]
    ) -> None:
        first = do_request_return(session, ask((1, 1), number="WEB-77"))
        again = do_request_return(session, ask((1, 1), number="WEB-77"))
        assert again.id == first.id

    def test_a_fully_returned_line_ends_its_warranty(
        self, session: Session, bought: tuple[int, int]
    ) -> None:
        do_create_plan(
            session,
            PlanIn("lamp-3y", "WARRANTY-3Y", "延長保証3年", "3-year cover", 36, 1500),
            actor="m",
        )
        enrolment = do_enrol(session, "A-1", 2, "lamp-3y")
        request = do_request_return(session, ask((2, 1)))
        outcome = receive_return(session, request.id, actor="store")
        assert outcome.cancelled_warranties == [enrolment.id]
        assert enrolment.status == "cancelled"


class TestReports:
    def test_return_rates_by_product_and_customer(
        self, session: Session, bought: tuple[int, int]
    ) -> None:
        taro, _ = bought
        customer(session, "C2")
        order(session, "C2", "B-1", (LineIn("BEAN-1", 4, 2500, 10000),))
        request = do_request_return(session, ask((1, 2), reason="damaged"))
        receive_return(session, request.id, actor="store")
        do_request_return(session, ask((2, 1), reason="changed_mind", channel="store"))
        by_product = return_rates_by_product(session)
        assert [(r["sku"], r["sold"], r["returned"], r["rate"]) for r in by_product] == [
            ("BEAN-1", 8, 2, 0.25),
            ("LAMP-1", 1, 0, 0.0),
        ]
        assert by_product[0]["name"] == "深煎りブレンド"
        (row,) = return_rates_by_customer(session)
        assert row == {
            "customer_id": taro,
            "orders": 1,
            "orders_returned": 1,
            "order_rate": 1.0,
            "bought_value": 15000,
            "returned_value": 5000,
            "value_rate": 0.3333,
        }
        summary = request_summary(session)
        assert summary["requests"] == 2
        assert summary["by_reason"] == {"changed_mind": 1, "damaged": 1}
        assert summary["by_channel"] == {"courier_pickup": 1, "store": 1}
        listed = list_requests(session, status="received")
        assert [(r["number"], r["order_number"]) for r in listed["requests"]] == [
            ("RR-A-1-1", "A-1")
        ]
