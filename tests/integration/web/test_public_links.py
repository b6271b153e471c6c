"""Links in messages: unsubscribe page and RFC 8058 one-click, open pixel, click redirect."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from kizuna.channels.suppression import unsubscribe_token
from kizuna.customers.queries import customer_profile, find_by_external_id
from kizuna.kit.db import session_scope
from tests.integration.web.test_api import HANAKO


def _customer_id(client: TestClient, auth: dict, sessions: sessionmaker[Session]) -> int:
    client.put("/api/customers/C1", json=HANAKO, headers=auth)
    with session_scope(sessions) as s:
        customer = find_by_external_id(s, "C1")
        assert customer is not None
        return customer.id


def test_unsubscribe_link_withdraws_consent(
    app_client: TestClient, auth: dict, app_sessions: sessionmaker[Session]
) -> None:
    customer_id = _customer_id(app_client, auth, app_sessions)
    token = unsubscribe_token(customer_id, "email", "marketing")
    page = app_client.get(f"/u/{token}")
    assert page.status_code == 200 and "配信を停止しました" in page.text
    with session_scope(app_sessions) as s:
        assert customer_profile(s, customer_id).consents["email"]["granted"] is False
    again = app_client.post(f"/u/{token}", data={"List-Unsubscribe": "One-Click"})
    assert again.status_code == 200


def test_forged_tokens_are_refused(app_client: TestClient) -> None:
    assert app_client.get("/u/forged.token").status_code == 422
    assert app_client.get("/t/c/forged.token", follow_redirects=False).status_code == 422
    pixel = app_client.get("/t/o/forged.gif")
    assert pixel.status_code == 200 and pixel.headers["content-type"] == "image/gif"
