"""Recommendations over the API and in the dashboard, on a small demo shop."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from kizuna.customers.models import Customer
from kizuna.demo.load import run_demo
from kizuna.kit.db import session_scope
from kizuna.orders.models import Order, OrderLine
from kizuna.recommend import build_all
from tests.integration.web.conftest import login


def _shop(sessions: sessionmaker[Session]) -> tuple[str, int, str]:
    run_demo(sessions, customers=400)
    with session_scope(sessions) as s:
        build_all(s)
    with session_scope(sessions) as s:
        external_id, customer_id = s.execute(
            select(Customer.external_id, Customer.id)
            .join(Order, Order.customer_id == Customer.id)
            .where(Customer.is_member)
            .limit(1)
        ).one()
        sku = s.scalar(select(OrderLine.sku).limit(1))
    return external_id, customer_id, sku


def test_api_and_pages(
    app_client: TestClient, auth: dict, app_sessions: sessionmaker[Session]
) -> None:
    external_id, customer_id, sku = _shop(app_sessions)
    recs = app_client.get(f"/api/recommendations/{external_id}", headers=auth).json()
    assert 0 < len(recs["items"]) <= 10
    assert {"sku", "reason", "score"} <= set(recs["items"][0])
    related = app_client.get(f"/api/products/{sku}/related", headers=auth).json()
    assert sku not in [p["sku"] for p in related["items"]]
    alternatives = app_client.get("/api/cart/alternatives", params={"sku": [sku]}, headers=auth)
    assert alternatives.status_code == 200
    assert app_client.get("/api/recommendations/nobody", headers=auth).status_code == 404
    assert app_client.get("/api/content/home-hero", headers=auth).status_code == 404
    login(app_client, app_sessions, role="marketer")
    page = app_client.get(f"/customers/{customer_id}.json").json()
    assert page["for_you"] and page["for_you"][0]["name"]
    product = app_client.get(f"/products/{sku}.json").json()
    assert product["product"]["sku"] == sku
    assert "一緒に買われている商品" in app_client.get(f"/products/{sku}").text
    assert app_client.get("/recommend.json").json()["evaluation"] is None


def test_content_slot_edited_in_the_dashboard_is_served(
    app_client: TestClient, auth: dict, app_sessions: sessionmaker[Session]
) -> None:
    import json

    from kizuna.web.ui.pages.content import EXAMPLE

    login(app_client, app_sessions, role="marketer")
    bad = app_client.post("/content", data={"document": '{"slot": "Bad Slot!"}'})
    assert bad.status_code == 422 and "slot" in bad.text
    saved = app_client.post(
        "/content", data={"document": json.dumps(EXAMPLE), "note": "冬"}, follow_redirects=False
    )
    assert saved.status_code == 303
    anonymous = app_client.get("/api/content/home-hero", headers=auth).json()
    assert anonymous["block"]["key"] == "join"
    page = app_client.get("/content.json", params={"slot": "home-hero"}).json()
    assert page["slots"][0]["slot"] == "home-hero" and page["history"][0]["note"] == "冬"
