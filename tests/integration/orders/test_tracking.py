"""The public tracking page: one unguessable token per order, refused for anything else;
carrier status updates (carrier words, late events, estimates); the page's content."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.ingest.after_purchase import shipment_status, tracking_page_for
from kizuna.kit.errors import NotFound, ValidationFailed
from kizuna.orders.aftersales_models import TrackingLink
from kizuna.orders.delivery import estimate, normalise_status, transit_days
from kizuna.orders.models import Order, Shipment
from kizuna.orders.tracking import (
    do_rotate_tracking_token,
    order_for_token,
    tracking_page,
    tracking_token,
)
from kizuna.recommend.store import replace_popular
from tests.integration.feedback.factories import T0, customer, order


def update(status: str, at_hours: float, **fields: object) -> dict:
    body = {
        "carrier": "yamato",
        "tracking_number": "4290-1111-2222",
        "status": status,
        "at": T0 + timedelta(hours=at_hours),
    }
    return body | fields


class TestToken:
    def test_one_token_per_order_and_it_opens_only_that_order(self, session: Session) -> None:
        customer(session, "C1")
        mine, other = order(session, "C1", "A-1"), order(session, "C1", "A-2")
        token = tracking_token(session, mine)
        assert len(token) == 43
        assert tracking_token(session, mine) == token
        assert tracking_token(session, other) != token
        assert order_for_token(session, token).id == mine

    @pytest.mark.parametrize(
        "guess",
        [
            pytest.param("A" * 43, id="well_formed_unknown"),
            pytest.param("A-1", id="the_order_number"),
            pytest.param("1", id="the_order_id"),
            pytest.param("", id="empty"),
            pytest.param("' OR '1'='1", id="sql"),
            pytest.param("a" * 44, id="too_long"),
        ],
    )
    def test_unknown_or_guessed_tokens_are_refused_alike(
        self, session: Session, guess: str
    ) -> None:
        customer(session, "C1")
        tracking_token(session, order(session, "C1", "A-1"))
        with pytest.raises(NotFound) as caught:
            tracking_page(session, guess)
        assert (caught.value.code, caught.value.field) == ("bad_token", "token")
        assert caught.value.message == "this tracking link is not valid"
        assert caught.value.http_status == 404

    def test_a_token_one_character_off_is_refused(self, session: Session) -> None:
        customer(session, "C1")
        token = tracking_token(session, order(session, "C1", "A-1"))
        near = token[:-1] + ("A" if token[-1] != "A" else "B")
        with pytest.raises(NotFound):
            order_for_token(session, near)
        with pytest.raises(NotFound):
            order_for_token(session, token.upper() if token.upper() != token else token.lower())

    def test_a_rotated_token_replaces_the_old_one(self, session: Session) -> None:
        customer(session, "C1")
        order_id = order(session, "C1", "A-1")
        old = tracking_token(session, order_id)
        new = do_rotate_tracking_token(session, order_id)
        assert new != old
        with pytest.raises(NotFound):
            order_for_token(session, old)
        assert order_for_token(session, new).id == order_id

    def test_unknown_order(self, session: Session) -> None:
        with pytest.raises(NotFound) as caught:
            tracking_token(session, 999_999)
        assert caught.value.field == "order_id"


class TestStatusUpdates:
    def test_carrier_words_late_events_and_notices(self, session: Session) -> None:
        customer(session, "C1")
        order(session, "C1", "A-1")
        # the first update of a parcel must say which order it belongs to
        with pytest.raises(ValidationFailed) as caught:
            shipment_status(session, update("荷物受付", 1))
        assert caught.value.field == "order_number"
        shipped = shipment_status(session, update("荷物受付", 1, order_number="A-1"))
        assert (shipped["before"], shipped["status"], shipped["changed"]) == (None, "shipped", True)
        assert shipped["notice"]["kind"] == "shipping.shipped"
        token = shipped["notice"]["tracking_token"]
        assert order_for_token(session, token).order_number == "A-1"
        # the carrier's ETA is kept; a replay of the same event changes nothing
        moving = shipment_status(session, update("輸送中", 10, estimated_delivery="2026-05-12"))
        assert (moving["status"], moving["estimated_on"]) == ("in_transit", date(2026, 5, 12))
        assert moving["notice"] is None  # in transit is not a notice
        replay = shipment_status(session, update("輸送中", 10))
        assert (replay["changed"], replay["notice"]) == (False, None)
        done = shipment_status(session, update("お届け完了", 30))
        assert done["notice"]["kind"] == "shipping.delivered"
        assert done["notice"]["tracking_token"] == token
        # an event that arrives late is stored but does not move the status back
        late = shipment_status(session, update("配達中", 20))
        assert (late["status"], late["changed"]) == ("delivered", False)
        parcel = session.scalars(select(Shipment)).one()
        assert parcel.shipped_at == T0 + timedelta(hours=1)
        assert parcel.delivered_at == T0 + timedelta(hours=30)
        page = tracking_page(session, token)
        events = [e["status"] for e in page["shipments"][0]["events"]]
        assert events == ["shipped", "in_transit", "out_for_delivery", "delivered"]

    def test_an_unknown_status_word_is_refused(self, session: Session) -> None:
        customer(session, "C1")
        order(session, "C1", "A-1")
        with pytest.raises(ValidationFailed) as caught:
            shipment_status(session, update("teleported", 1, order_number="A-1"))
        assert caught.value.field == "status"

    def test_an_unknown_order_is_not_found(self, session: Session) -> None:
        with pytest.raises(NotFound) as caught:
            shipment_status(session, update("shipped", 1, order_number="NOPE"))
        assert caught.value.field == "order_number"


class TestPage:
    def test_the_page_shows_progress_estimate_items_and_no_personal_data(
        self, session: Session
    ) -> None:
        customer(session, "C1", prefecture="北海道", given_name="太郎")
        order_id = order(session, "C1", "A-1")
        token = tracking_token(session, order_id)
        page = tracking_page(session, token, language="ja")
        assert (page["status"], page["status_label"]) == ("preparing", "発送準備中")
        assert [s["done"] for s in page["steps"]] == [True, True, False, False, False, False]
        # not shipped: order date + 1 handling day + 2 days to Hokkaido
        assert page["estimated_delivery"] == {
            "from": "2026-05-13",
            "to": "2026-05-14",
            "source": "estimate",
        }
        assert page["items"] == [
            {"sku": "BEAN-1", "name": "深煎りブレンド 200g", "quantity": 2},
            {"sku": "CUP-1", "name": "有田焼マグカップ", "quantity": 1},
        ]
        text = repr(page)
        assert "太郎" not in text and "山田" not in text and "北海道" not in text
        assert "unit_price" not in text and "3600" not in text
        shipment_status(session, update("shipped", 2, order_number="A-1"))
        shipment_status(session, update("ご不在", 26))
        page = tracking_page(session, token, language="en")
        assert (page["status"], page["status_label"]) == (
            "failed",
            "Delivery attempted: nobody was home",
        )
        assert [s["done"] for s in page["steps"]] == [True, True, True, True, True, False]
        assert page["steps"][2]["at"] == "2026-05-10T14:00:00+09:00"
        link = session.scalars(select(TrackingLink)).one()
        assert link.views == 2

    def test_recommendations_leave_out_what_was_ordered(self, session: Session) -> None:
        customer(session, "C1")
        order_id = order(session, "C1", "A-1")
        replace_popular(session, {"shop": ["CUP-1", "TEA-1", "BEAN-1", "JAM-1"]}, T0)
        page = tracking_page_for(session, tracking_token(session, order_id), n=4)
        assert [(r["sku"], r["reason"]) for r in page["recommendations"]] == [
            ("TEA-1", "popular"),
            ("JAM-1", "popular"),
        ]
        assert page["order_number"] == "A-1"

    def test_a_cancelled_order_has_no_estimate(self, session: Session) -> None:
        customer(session, "C1")
        order_id = order(session, "C1", "A-1", status="cancelled")
        page = tracking_page(session, tracking_token(session, order_id))
        assert (page["status"], page["estimated_delivery"]) == ("cancelled", None)
        assert [s["done"] for s in page["steps"]] == [True] + [False] * 5


class TestPureRules:
    @pytest.mark.parametrize(
        ("word", "status"),
        [
            ("配達完了", "delivered"),
            ("ＤＥＬＩＶＥＲＥＤ", "delivered"),
            ("不在", "failed"),
            ("Out For Delivery", "out_for_delivery"),
            ("in_transit", "in_transit"),
            (" 荷物受付 ", "shipped"),
        ],
    )
    def test_status_words(self, word: str, status: str) -> None:
        assert normalise_status(word) == status

    @pytest.mark.parametrize(
        ("prefecture", "days"),
        [
            ("東京都", 1),
            ("大阪", 1),
            ("北海道", 2),
            ("福岡県", 2),
            ("沖縄県", 3),
            (None, 2),
            ("Atlantis", 2),
        ],
    )
    def test_transit_days(self, prefecture: str | None, days: int) -> None:
        assert transit_days(prefecture) == days

    def test_the_estimate_starts_from_the_ship_date_in_shop_time(self) -> None:
        placed = Order(order_number="X", placed_at=T0, status="paid")
        # shipped 2026-05-10 23:30 JST (14:30 UTC): the shop day is the 10th
        parcel = Shipment(
            carrier="y",
            tracking_number="1",
            status="shipped",
            shipped_at=T0 + timedelta(hours=11, minutes=30),
        )
        assert estimate(parcel, placed, "東京都") == {
            "from": date(2026, 5, 11),
            "to": date(2026, 5, 12),
            "source": "estimate",
        }
        assert estimate(parcel, placed, "東京都", date(2026, 5, 15))["source"] == "carrier"
