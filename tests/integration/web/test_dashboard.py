"""Dashboard pages over a real app: login, roles, the JSON twin of each page, language switch."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from tests.integration.web.conftest import login
from tests.integration.web.test_api import HANAKO, ORDER


def _seed(client: TestClient, auth: dict) -> None:
    client.put("/api/customers/C1", json=HANAKO, headers=auth)
    client.post("/api/orders", json=ORDER, headers=auth)
    guest = {**ORDER, "order_number": "G-7", "customer_id": None, "guest_email": "guest@example.jp"}
    client.post("/api/orders", json=guest, headers=auth)


class TestLogin:
    def test_pages_redirect_to_login_and_json_twins_say_401(self, app_client: TestClient) -> None:
        page = app_client.get("/customers", follow_redirects=False)
        assert page.status_code == 303 and page.headers["location"].startswith("/login")
        assert app_client.get("/customers.json").status_code == 401

    def test_wrong_password_is_refused_in_japanese(self, app_client: TestClient) -> None:
        response = app_client.post("/login", data={"email": "admin@example.jp", "password": "x"})
        assert response.status_code == 401
        assert "メールアドレスまたはパスワードが違います" in response.text


class TestOverview:
    def test_overview_counts_members_guests_orders_revenue(
        self, app_client: TestClient, auth: dict, app_sessions: sessionmaker[Session]
    ) -> None:
        _seed(app_client, auth)
        login(app_client, app_sessions)
        data = app_client.get("/.json").json()
        assert (data["customers"], data["members"], data["guests"]) == (2, 1, 1)
        assert data["orders"] == 2
        assert data["revenue_12m"] == 2 * (2 * 1800 + 500 - 100)
        assert data["months"][0]["month"] == "2026-11"
        html = app_client.get("/").text
        assert "概要" in html and "¥8,000" in html and 'id="sales-chart"' in html


class TestCustomerPages:
    def test_search_then_customer_page_with_timeline(
        self, app_client: TestClient, auth: dict, app_sessions: sessionmaker[Session]
    ) -> None:
        _seed(app_client, auth)
        login(app_client, app_sessions, role="support")
        found = app_client.get("/customers.json", params={"q": "ヤマダ"}).json()["customers"]
        assert [c["name"] for c in found] == ["山田 花子"]
        page = app_client.get(f"/customers/{found[0]['id']}.json").json()
        assert page["order_count"] == 1 and page["total_spend"] == 4000
        assert [e["kind"] for e in page["timeline"]].count("order") == 1
        html = app_client.get(f"/customers/{found[0]['id']}").text
        assert "山田 花子" in html and "A-1001" in html and "¥4,000" in html

    def test_language_switch_to_english(
        self, app_client: TestClient, app_sessions: sessionmaker[Session]
    ) -> None:
        login(app_client, app_sessions)
        app_client.get("/lang/en", params={"next": "/customers"})
        assert "Customer search" in app_client.get("/customers").text
        app_client.get("/lang/ja")
        assert "顧客検索" in app_client.get("/customers").text

    def test_export_is_admin_only_and_audited(
        self, app_client: TestClient, auth: dict, app_sessions: sessionmaker[Session]
    ) -> None:
        _seed(app_client, auth)
        login(app_client, app_sessions, role="support")
        customer_id = app_client.get("/customers.json", params={"q": "山田"}).json()["customers"][
            0
        ]["id"]
        assert app_client.get(f"/customers/{customer_id}/export.json").status_code == 403
        login(app_client, app_sessions, role="admin")
        export = app_client.get(f"/customers/{customer_id}/export.json").json()
        assert export["customer"]["family_name"] == "山田"
        assert [o["order_number"] for o in export["orders"]] == ["A-1001"]
        assert len(export["order_lines"]) == 1
        timeline = app_client.get(f"/customers/{customer_id}.json").json()["timeline"]
        assert any(e["kind"] == "audit" and e["summary"] == "exported" for e in timeline)


class TestClvPage:
    def test_empty_state_and_roles(
        self, app_client: TestClient, app_sessions: sessionmaker[Session]
    ) -> None:
        login(app_client, app_sessions, role="support")
        assert app_client.get("/clv").status_code == 403
        login(app_client, app_sessions, role="marketer")
        assert "kizuna clv fit" in app_client.get("/clv").text
        data = app_client.get("/clv.json").json()
        assert data["fits"] == [] and data["predicted_customers"] == 0
