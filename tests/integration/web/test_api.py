"""REST API: upsert/read customers, idempotent orders and event batches, keys, errors, webhooks."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from kizuna.accounts.service import do_revoke_api_key
from kizuna.events.models import Event
from kizuna.kit.db import session_scope
from kizuna.orders.models import Order, OrderLine
from tests.integration.web.conftest import make_key

HANAKO = {
    "family_name": "山田",
    "given_name": "花子",
    "family_kana": "やまだ",
    "given_kana": "ﾊﾅｺ",
    "email": "Hanako@Example.JP",
    "phone": "+81 90-1234-5678",
    "prefecture": "東京",
    "postal_code": "１５０－０００１",
    "gender": "female",
    "birth_date": "1990-04-01",
    "consents": [{"channel": "email", "granted": True}, {"channel": "sms", "granted": False}],
}
ORDER = {
    "order_number": "A-1001",
    "customer_id": "C1",
    "placed_at": "2026-11-01T10:00:00+09:00",
    "shipping_fee": 500,
    "points_used": 100,
    "lines": [{"sku": "BEAN-1", "quantity": 2, "unit_price": 1800, "description": "珈琲豆"}],
}


def _count(sessions: sessionmaker[Session], model: type) -> int:
    with session_scope(sessions) as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


class TestCustomers:
    def test_upsert_normalises_and_is_idempotent(self, app_client: TestClient, auth: dict) -> None:
        first = app_client.put("/api/customers/C1", json=HANAKO, headers=auth)
        assert first.status_code == 200, first.text
        body = first.json()
        assert body["result"] == "inserted"
        customer = body["customer"]
        assert customer["family_kana"] == "ヤマダ" and customer["given_kana"] == "ハナコ"
        assert customer["prefecture"] == "東京都" and customer["postal_code"] == "150-0001"
        assert customer["identities"] == {"email": ["hanako@example.jp"], "phone": ["09012345678"]}
        assert customer["consents"]["email"]["granted"] is True
        again = app_client.put("/api/customers/C1", json=HANAKO, headers=auth)
        assert again.json()["result"] == "unchanged"
        changed = app_client.put(
            "/api/customers/C1", json={**HANAKO, "occupation": "教師"}, headers=auth
        )
        assert changed.json()["result"] == "updated"
        read = app_client.get("/api/customers/C1", headers=auth).json()
        assert read["occupation"] == "教師"

    def test_bad_field_gets_422_with_its_path(self, app_client: TestClient, auth: dict) -> None:
        response = app_client.put(
            "/api/customers/C2", json={**HANAKO, "prefecture": "Atlantis"}, headers=auth
        )
        assert response.status_code == 422
        assert response.json()["error"]["field"] == "body.prefecture"
        unknown = app_client.put("/api/customers/C2", json={"nickname": "x"}, headers=auth)
        assert unknown.status_code == 422
        assert unknown.json()["error"]["field"] == "body.nickname"

    def test_email_of_another_customer_is_a_conflict(
        self, app_client: TestClient, auth: dict
    ) -> None:
        app_client.put("/api/customers/C1", json=HANAKO, headers=auth)
        response = app_client.put(
            "/api/customers/C9", json={"email": "hanako@example.jp"}, headers=auth
        )
        assert response.status_code == 409
        assert response.json()["error"]["field"] == "email"

    def test_search_and_timeline(self, app_client: TestClient, auth: dict) -> None:
        app_client.put("/api/customers/C1", json=HANAKO, headers=auth)
        app_client.post("/api/orders", json=ORDER, headers=auth)
        for q in ("山田", "ヤマダ", "やまだ はな", "山田 花", "hanako@example.jp", "090-1234-5678"):
            found = app_client.get("/api/customers", params={"q": q}, headers=auth).json()
            assert [c["external_id"] for c in found["customers"]] == ["C1"], q
        entries = app_client.get("/api/customers/C1/timeline", headers=auth).json()["entries"]
        kinds = [e["kind"] for e in entries]
        assert "order" in kinds and "consent" in kinds
        order = next(e for e in entries if e["kind"] == "order")
        assert order["detail"]["total"] == 2 * 1800 + 500 - 100


class TestOrders:
    def test_same_order_twice_changes_nothing(
        self, app_client: TestClient, auth: dict, app_sessions: sessionmaker[Session]
    ) -> None:
        headers = {**auth, "Idempotency-Key": "k-1"}
        assert (
            app_client.post("/api/orders", json=ORDER, headers=headers).json()["result"]
            == "inserted"
        )
        assert (
            app_client.post("/api/orders", json=ORDER, headers=headers).json()["result"]
            == "unchanged"
        )
        assert _count(app_sessions, Order) == 1 and _count(app_sessions, OrderLine) == 1

    def test_reused_idempotency_key_is_409(self, app_client: TestClient, auth: dict) -> None:
        headers = {**auth, "Idempotency-Key": "k-2"}
        app_client.post("/api/orders", json=ORDER, headers=headers)
        other = app_client.post(
            "/api/orders", json={**ORDER, "order_number": "A-2"}, headers=headers
        )
        assert other.status_code == 409

    def test_guest_order_joins_member_by_normalised_email(
        self, app_client: TestClient, auth: dict, app_sessions: sessionmaker[Session]
    ) -> None:
        app_client.put("/api/customers/C1", json=HANAKO, headers=auth)
        guest = {
            **ORDER,
            "order_number": "G-1",
            "customer_id": None,
            "guest_email": "ＨＡＮＡＫＯ@example.jp",
        }
        assert app_client.post("/api/orders", json=guest, headers=auth).status_code == 200
        with session_scope(app_sessions) as s:
            order = s.scalar(select(Order).where(Order.order_number == "G-1"))
            assert order is not None and order.customer_id is not None
        entries = app_client.get("/api/customers/C1/timeline", headers=auth).json()["entries"]
        assert "G-1" in [e["summary"] for e in entries]

    def test_negative_quantity_and_naive_time_are_422(
        self, app_client: TestClient, auth: dict
    ) -> None:
        bad = {**ORDER, "lines": [{"sku": "X", "quantity": -1, "unit_price": 100}]}
        response = app_client.post("/api/orders", json=bad, headers=auth)
        assert response.status_code == 422
        assert response.json()["error"]["field"] == "body.lines.0.quantity"
        naive = app_client.post(
            "/api/orders", json={**ORDER, "placed_at": "2026-11-01T10:00:00"}, headers=auth
        )
        assert naive.status_code == 422

    def test_malformed_json_is_422_and_stores_nothing(
        self, app_client: TestClient, auth: dict, app_sessions: sessionmaker[Session]
    ) -> None:
        response = app_client.post(
            "/api/orders",
            content=b'{"order_number": "A-1",',
            headers={**auth, "Content-Type": "application/json"},
        )
        assert response.status_code == 422
        assert _count(app_sessions, Order) == 0


class TestEvents:
    def test_batch_is_idempotent_by_event_id(
        self, app_client: TestClient, auth: dict, app_sessions: sessionmaker[Session]
    ) -> None:
        events = [
            {
                "event_id": f"e{i}",
                "type": "product_view",
                "customer_id": "C1",
                "occurred_at": "2026-11-01T10:00:00+09:00",
                "sku": "BEAN-1",
            }
            for i in range(50)
        ]
        first = app_client.post("/api/events", json={"events": events}, headers=auth).json()
        assert first == {"inserted": 50, "updated": 0, "unchanged": 0}
        second = app_client.post("/api/events", json={"events": events}, headers=auth).json()
        assert second == {"inserted": 0, "updated": 0, "unchanged": 50}
        assert _count(app_sessions, Event) == 50

    def test_unknown_type_names_the_event(self, app_client: TestClient, auth: dict) -> None:
        events = [{"event_id": "e1", "type": "teleport", "occurred_at": "2026-11-01T10:00:00Z"}]
        response = app_client.post("/api/events", json={"events": events}, headers=auth)
        assert response.status_code == 422
        assert response.json()["error"]["field"] == "body.events.0.type"


class TestKeys:
    def test_missing_unknown_revoked_and_unscoped_keys(
        self, app_client: TestClient, app_sessions: sessionmaker[Session]
    ) -> None:
        assert app_client.get("/api/customers/C1").status_code == 401
        bad = {"Authorization": "Bearer kz_deadbeef_nope"}
        assert app_client.get("/api/customers/C1", headers=bad).status_code == 401
        read_only = make_key(app_sessions, ["customers:read"])
        headers = {"Authorization": f"Bearer {read_only}"}
        forbidden = app_client.put("/api/customers/C1", json=HANAKO, headers=headers)
        assert forbidden.status_code == 403
        assert forbidden.json()["error"]["code"] == "forbidden"
        with session_scope(app_sessions) as s:
            do_revoke_api_key(s, read_only.split("_")[1])
        assert app_client.get("/api/customers/C1", headers=headers).status_code == 401


class TestWebhooks:
    def test_order_and_customer_topics(
        self, app_client: TestClient, auth: dict, app_sessions: sessionmaker[Session]
    ) -> None:
        customer = {
            "topic": "customer.created",
            "id": "wh-1",
            "data": {"customer_id": "S-9", **HANAKO},
        }
        assert (
            app_client.post("/api/webhooks/shopify", json=customer, headers=auth).json()["result"]
            == "inserted"
        )
        order = {"topic": "order.created", "id": "wh-2", "data": {**ORDER, "customer_id": "S-9"}}
        for expected in ("inserted", "unchanged"):
            response = app_client.post("/api/webhooks/shopify", json=order, headers=auth)
            assert response.json()["result"] == expected
        bad = {"topic": "order.created", "id": "wh-3", "data": {"order_number": "X"}}
        response = app_client.post("/api/webhooks/shopify", json=bad, headers=auth)
        assert response.status_code == 422
        assert response.json()["error"]["field"].startswith("body.data.")
        assert _count(app_sessions, Order) == 1
