"""The loyalty REST API over a real app and database (SQLite and PostgreSQL): status with the
gap sentence, quote, holds, coupons, earn, history, adjustments, and clear 4xx errors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from kizuna.kit.clock import now, to_shop_tz
from kizuna.kit.db import session_scope
from kizuna.loyalty.coupons import do_create_template, do_issue_coupons
from kizuna.loyalty.ledger.models import PointHold
from kizuna.loyalty.tasks import release_expired_holds
from tests.integration.loyalty.http import (
    HANAKO,
    LOYALTY_SCOPES,
    RECORD_SCOPES,
    app_client,
    bearer,
    memory_queue,
    order_body,
    plain_day,
    sessions_of,
)


@pytest.fixture
def client(db_url: str) -> Iterator[TestClient]:
    memory_queue()
    with app_client(db_url) as c:
        yield c


@pytest.fixture
def auth(client: TestClient) -> dict[str, str]:
    """A key for the record and the loyalty API; member C1 with a ¥10,000 order (100 points)."""
    headers = bearer(client, RECORD_SCOPES + LOYALTY_SCOPES + ["loyalty:adjust"])
    client.put("/api/customers/C1", json=HANAKO, headers=headers).raise_for_status()
    order = order_body("A-1", "C1", 10_000, plain_day())
    client.post("/api/orders", json=order, headers=headers).raise_for_status()
    return headers


def _with_key(auth: dict[str, str], key: str) -> dict[str, str]:
    return {**auth, "Idempotency-Key": key}


def _fiscal_year_end() -> tuple[int, int, int]:
    today = to_shop_tz(now()).date()
    year = today.year + 1 if today.month >= 4 else today.year
    return year, 3, 31


class TestStatusAndHistory:
    def test_status_says_how_much_more_to_gold(self, client: TestClient, auth: dict) -> None:
        body = client.get("/api/loyalty/C1", headers=auth).json()
        year, _, _ = _fiscal_year_end()
        assert body["stage"]["stage"] == "silver"
        assert body["stage"]["qualifying"] == 10_000
        assert body["stage"]["message"] == {
            "en": f"¥40,000 more to Gold by {year}-03-31",
            "ja": f"ゴールドまであと¥40,000（{year}年3月31日まで）",
        }
        assert body["points"]["points"] == 100
        assert body["points"]["yen_value_text"] == "¥100"
        assert [b["type"] for b in body["benefits"]] == ["birthday_gift"]

    def test_history_lists_entries_and_stage_changes(self, client: TestClient, auth: dict) -> None:
        body = client.get("/api/loyalty/C1/history", headers=auth).json()
        assert [(e["kind"], e["points"], e["link"]) for e in body["entries"]] == [
            ("earn", 100, "order:A-1")
        ]
        assert [(s["to_stage"], s["reason"]) for s in body["stage_changes"]] == [
            ("silver", "joined")
        ]

    def test_unknown_customer_is_404_naming_the_field(self, client: TestClient, auth: dict) -> None:
        response = client.get("/api/loyalty/NOPE", headers=auth)
        assert response.status_code == 404
        assert response.json()["error"]["field"] == "customer_id"

    def test_a_key_without_the_scope_is_refused(self, client: TestClient, auth: dict) -> None:
        other = bearer(client, ["customers:read"])
        response = client.get("/api/loyalty/C1", headers=other)
        assert response.status_code == 403
        assert "loyalty:read" in response.json()["error"]["message"]


class TestQuote:
    def test_prices_a_cart_without_writing(self, client: TestClient, auth: dict) -> None:
        cart = {
            "customer_id": "C1",
            "lines": [{"sku": "BEAN-1", "quantity": 2, "unit_price": 1800}],
            "shipping_fee": 600,
            "points_to_use": 50,
        }
        body = client.post("/api/loyalty/quote", json=cart, headers=auth).json()
        assert (body["subtotal"], body["stage_discount"], body["points_applied"]) == (3600, 0, 50)
        assert body["total"] == 3600 - 50 + 600
        assert body["points_balance"] == 100
        status = client.get("/api/loyalty/C1", headers=auth).json()
        assert status["points"]["points"] == 100  # a quote reserves nothing


class TestHolds:
    def test_hold_capture_and_release(self, client: TestClient, auth: dict) -> None:
        held = client.post("/api/loyalty/holds", json={"customer_id": "C1", "points": 30},
                           headers=_with_key(auth, "h-1"))  # fmt: skip
        assert held.status_code == 200, held.text
        hold_id = held.json()["hold_id"]
        assert held.json()["balance"] == 70
        # a retry of the same hold is the same hold
        again = client.post("/api/loyalty/holds", json={"customer_id": "C1", "points": 30},
                            headers=_with_key(auth, "h-1"))  # fmt: skip
        assert (again.json()["hold_id"], again.json()["replayed"]) == (hold_id, True)
        captured = client.post(f"/api/loyalty/holds/{hold_id}/capture", headers=auth)
        assert captured.json()["kind"] == "capture"
        second = client.post("/api/loyalty/holds", json={"customer_id": "C1", "points": 20},
                             headers=_with_key(auth, "h-2"))  # fmt: skip
        released = client.post(f"/api/loyalty/holds/{second.json()['hold_id']}/release",
                               headers=auth)  # fmt: skip
        assert (released.json()["kind"], released.json()["points"]) == ("release", 20)
        assert client.get("/api/loyalty/C1", headers=auth).json()["points"]["points"] == 70

    def test_an_expired_hold_cannot_be_captured(self, client: TestClient, auth: dict) -> None:
        held = client.post("/api/loyalty/holds", json={"customer_id": "C1", "points": 30},
                           headers=_with_key(auth, "h-3"))  # fmt: skip
        hold_id = held.json()["hold_id"]
        with session_scope(sessions_of(client)) as session:  # the checkout took too long
            session.execute(
                update(PointHold)
                .where(PointHold.id == hold_id)
                .values(expires_at=now() - timedelta(minutes=1))
            )
        response = client.post(f"/api/loyalty/holds/{hold_id}/capture", headers=auth)
        assert response.status_code == 409
        assert response.json()["error"]["field"] == "hold_id"
        # the 5-minute job gives the timed-out hold back
        assert release_expired_holds(sessions_of(client)) == 1
        assert client.get("/api/loyalty/C1", headers=auth).json()["points"]["points"] == 100

    def test_bad_points_and_missing_key_name_the_field(
        self, client: TestClient, auth: dict
    ) -> None:
        negative = client.post("/api/loyalty/holds", json={"customer_id": "C1", "points": -5},
                               headers=_with_key(auth, "h-4"))  # fmt: skip
        assert (negative.status_code, negative.json()["error"]["field"]) == (422, "points")
        too_many = client.post("/api/loyalty/redemptions", json={"customer_id": "C1",
                               "points": 500}, headers=_with_key(auth, "r-1"))  # fmt: skip
        assert (too_many.status_code, too_many.json()["error"]["field"]) == (409, "points")
        no_key = client.post("/api/loyalty/holds", json={"customer_id": "C1", "points": 5},
                             headers=auth)  # fmt: skip
        assert (no_key.status_code, no_key.json()["error"]["field"]) == (422, "Idempotency-Key")
        unknown = client.post("/api/loyalty/holds/999/capture", headers=auth)
        assert (unknown.status_code, unknown.json()["error"]["field"]) == (404, "hold_id")


class TestEarnCouponsAdjustments:
    def test_earn_on_order_is_idempotent_and_grants_need_a_key(
        self, client: TestClient, auth: dict
    ) -> None:
        by_order = client.post("/api/loyalty/earn", json={"order_number": "A-1"}, headers=auth)
        assert (by_order.json()["points"], by_order.json()["replayed"]) == (100, True)
        grant = {"customer_id": "C1", "points": 500, "reason": "campaign"}
        first = client.post("/api/loyalty/earn", json=grant, headers=_with_key(auth, "g-1"))
        again = client.post("/api/loyalty/earn", json=grant, headers=_with_key(auth, "g-1"))
        assert (first.json()["balance"], again.json()["replayed"]) == (600, True)
        reused = client.post("/api/loyalty/earn", json={**grant, "points": 1},
                             headers=_with_key(auth, "g-1"))  # fmt: skip
        assert (reused.status_code, reused.json()["error"]["field"]) == (409, "idempotency_key")
        missing = client.post("/api/loyalty/earn", json={"order_number": "NOPE"}, headers=auth)
        assert (missing.status_code, missing.json()["error"]["field"]) == (404, "order_number")

    def test_a_coupon_is_used_once(self, client: TestClient, auth: dict) -> None:
        with session_scope(sessions_of(client)) as session:
            template = do_create_template(
                session, "THANKS", "お礼クーポン", {"kind": "amount", "value": 500}, actor="t"
            )
            [code] = do_issue_coupons(session, template.id)
        use = {"customer_id": "C1", "code": code.lower(), "subtotal": 3000}
        first = client.post("/api/loyalty/coupons/redeem", json=use,
                            headers=_with_key(auth, "c-1"))  # fmt: skip
        assert (first.status_code, first.json()["discount"]) == (200, 500)
        retry = client.post("/api/loyalty/coupons/redeem", json=use,
                            headers=_with_key(auth, "c-1"))  # fmt: skip
        assert retry.json()["discount"] == 500
        reused = client.post("/api/loyalty/coupons/redeem", json=use,
                             headers=_with_key(auth, "c-2"))  # fmt: skip
        assert reused.status_code == 409
        assert reused.json()["error"]["code"] == "coupon_used"

    def test_adjustment_needs_a_note_a_person_and_the_scope(
        self, client: TestClient, auth: dict
    ) -> None:
        body = {"customer_id": "C1", "points": -40, "note": "", "actor": "tanaka@shop"}
        no_note = client.post("/api/loyalty/adjustments", json=body,
                              headers=_with_key(auth, "a-1"))  # fmt: skip
        assert (no_note.status_code, no_note.json()["error"]["field"]) == (422, "note")
        writer = {**bearer(client, LOYALTY_SCOPES), "Idempotency-Key": "a-2"}
        refused = client.post("/api/loyalty/adjustments",
                              json={**body, "note": "二重付与の訂正"}, headers=writer)  # fmt: skip
        assert refused.status_code == 403
        done = client.post("/api/loyalty/adjustments", json={**body, "note": "二重付与の訂正"},
                           headers=_with_key(auth, "a-3"))  # fmt: skip
        assert (done.status_code, done.json()["balance"]) == (200, 60)
        entry = client.get("/api/loyalty/C1/history", headers=auth).json()["entries"][0]
        assert entry["kind"] == "adjust" and entry["note"] == "二重付与の訂正"
        assert entry["actor"].startswith("tanaka@shop (api key kz_")
