"""The ingest pipeline: an order posted through the API earns its points, moves the member's
stage and starts the welcome journey in the same transaction; a replay changes nothing; a
cancellation and a return reverse; a file import earns only for recent orders."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kizuna.automation.journeys.service import install_presets
from kizuna.automation.journeys.store import do_publish, do_set_enabled, load
from kizuna.channels.models import OutboxMessage
from kizuna.customers.queries import find_by_external_id
from kizuna.ingest.csv_import import import_file
from kizuna.kit.clock import to_shop_tz
from kizuna.kit.db import session_scope
from kizuna.loyalty.ledger.balance import balance, verify_ledger
from kizuna.loyalty.models import LoyaltyAccount, StageChange
from tests.integration.loyalty.http import (
    HANAKO,
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
    with app_client(db_url) as c:
        yield c


def _customer_id(client: TestClient, external_id: str = "C1") -> int:
    with session_scope(sessions_of(client)) as session:
        customer = find_by_external_id(session, external_id)
        assert customer is not None
        return customer.id


def _points(client: TestClient, customer_id: int) -> int:
    with session_scope(sessions_of(client)) as session:
        assert verify_ledger(session, customer_id) == []
        return balance(session, customer_id).points


def _switch_on_welcome(session: Session) -> None:
    install_presets(session, actor="test", keys=["welcome"])
    doc = load(session, "welcome").journey
    do_publish(session, doc.model_copy(update={"holdout_share": 0.0}), actor="test")
    do_set_enabled(session, "welcome", True, actor="test")


class TestOrderThroughTheApi:
    def test_earns_evaluates_and_queues_the_welcome_message(self, client: TestClient) -> None:
        # given a member with email consent and the welcome journey switched on
        queue = memory_queue()
        auth = bearer(client, RECORD_SCOPES)
        assert client.put("/api/customers/C1", json=HANAKO, headers=auth).status_code == 200
        with session_scope(sessions_of(client)) as session:
            _switch_on_welcome(session)
        cid = _customer_id(client)
        at = plain_day()
        # when the storefront posts a ¥10,000 order
        headers = {**auth, "Idempotency-Key": "w-1"}
        response = client.post("/api/orders", json=order_body("W-1", "C1", 10_000, at),
                               headers=headers)  # fmt: skip
        # then Silver's 1% is earned, the stage is evaluated, the welcome mail is queued
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["result"] == "inserted"
        assert body["reactions"]["earned_points"] == 100
        assert body["reactions"]["stages"] == {str(cid): "silver"}
        assert body["reactions"]["enrolled"] == {"welcome": 1}
        assert body["reactions"]["messages_queued"] == 1
        assert _points(client, cid) == 100
        with session_scope(sessions_of(client)) as session:
            keys = session.scalars(select(OutboxMessage.dedupe_key)).all()
            assert keys == [f"j:welcome:thanks.once:{cid}"]
            assert session.get_one(LoyaltyAccount, cid).stage == "silver"
        assert queue.pending_count() == 1  # the doorbell rang after the commit

    def test_replay_earns_nothing_more_and_a_big_order_promotes(self, client: TestClient) -> None:
        memory_queue()
        auth = bearer(client, RECORD_SCOPES)
        client.put("/api/customers/C1", json=HANAKO, headers=auth)
        cid, at = _customer_id(client), plain_day()
        headers = {**auth, "Idempotency-Key": "k-1"}
        first = client.post("/api/orders", json=order_body("A-1", "C1", 10_000, at),
                            headers=headers)  # fmt: skip
        # when the same order is sent again with the same Idempotency-Key
        again = client.post("/api/orders", json=order_body("A-1", "C1", 10_000, at),
                            headers=headers)  # fmt: skip
        # then it is unchanged and earns nothing more
        assert first.json()["reactions"]["earned_points"] == 100
        assert again.json()["result"] == "unchanged"
        assert again.json()["reactions"]["earned_points"] == 0
        assert _points(client, cid) == 100
        # when a second order lifts the year's spend past ¥50,000
        big = client.post("/api/orders", json=order_body("A-2", "C1", 45_000, at), headers=auth)
        # then it earns at the stage before it (Silver 1%) and promotes to Gold
        assert big.json()["reactions"]["earned_points"] == 450
        assert big.json()["reactions"]["stages"] == {str(cid): "gold"}
        with session_scope(sessions_of(client)) as session:
            change = session.scalars(
                select(StageChange).where(StageChange.reason == "promoted")
            ).one()
            assert (change.from_stage, change.to_stage) == ("silver", "gold")
        assert _points(client, cid) == 550

    def test_cancellation_by_webhook_reverses_the_order(self, client: TestClient) -> None:
        memory_queue()
        auth = bearer(client, RECORD_SCOPES)
        client.put("/api/customers/C1", json=HANAKO, headers=auth)
        cid, at = _customer_id(client), plain_day()
        order = order_body("B-1", "C1", 20_000, at)
        created = client.post("/api/webhooks/shopify",
                              json={"topic": "order.created", "id": "e1", "data": order},
                              headers=auth)  # fmt: skip
        assert created.json()["reactions"]["earned_points"] == 200
        cancelled = client.post(
            "/api/webhooks/shopify",
            json={"topic": "order.cancelled", "id": "e2", "data": {**order, "status": "cancelled"}},
            headers=auth,
        )
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["reactions"]["reversed_points"] == 200
        assert _points(client, cid) == 0
        # a retried cancellation webhook changes nothing
        retry = client.post(
            "/api/webhooks/shopify",
            json={"topic": "order.cancelled", "id": "e2", "data": {**order, "status": "cancelled"}},
            headers=auth,
        )
        assert retry.json()["result"] == "unchanged"
        assert _points(client, cid) == 0

    def test_return_by_webhook_reverses_pro_rata_once(self, client: TestClient) -> None:
        memory_queue()
        auth = bearer(client, RECORD_SCOPES)
        client.put("/api/customers/C1", json=HANAKO, headers=auth)
        cid, at = _customer_id(client), plain_day()
        order = order_body("R-1", "C1", 10_000, at)
        client.post("/api/orders", json=order, headers=auth).raise_for_status()
        back = {
            "return_number": "RET-1",
            "order_number": "R-1",
            "returned_at": (at + timedelta(hours=1)).isoformat(),
            "lines": [{"sku": "BEAN-1", "quantity": 1, "unit_price": 5_000}],
        }
        event = {"topic": "return.created", "id": "ret-1", "data": back}
        first = client.post("/api/webhooks/shopify", json=event, headers=auth)
        assert first.status_code == 200, first.text
        assert first.json()["result"] == "inserted"
        assert first.json()["reactions"]["reversed_points"] == 50
        again = client.post("/api/webhooks/shopify", json=event, headers=auth)
        assert again.json()["result"] == "unchanged"
        assert again.json()["reactions"]["reversed_points"] == 0
        assert _points(client, cid) == 50
        unknown = {**event, "data": {**back, "return_number": "RET-2", "order_number": "NOPE"}}
        orphan = client.post("/api/webhooks/shopify", json=unknown, headers=auth)
        assert orphan.json()["reactions"]["unmatched_returns"] == 1


def _csv(path: Path, rows: list[str]) -> Path:
    header = "order_number,record,returns_order,customer_id,placed_at,sku,quantity,unit_price"
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


class TestFileImport:
    def test_recent_orders_earn_history_earns_nothing_returns_reverse(
        self, client: TestClient, tmp_path: Path
    ) -> None:
        memory_queue()
        auth = bearer(client, RECORD_SCOPES)
        client.put("/api/customers/C1", json=HANAKO, headers=auth)
        cid = _customer_id(client)
        recent = to_shop_tz(plain_day()).strftime("%Y-%m-%d %H:%M")
        orders = _csv(tmp_path / "orders.csv", [
            "H-1,,,C1,2020-01-05 10:00,BEAN-1,1,30000",
            f"N-1,,,C1,{recent},BEAN-1,1,10000",
        ])  # fmt: skip
        with session_scope(sessions_of(client)) as session:
            report = import_file(session, "orders", orders)
        # then only the recent order earns: Silver 1% of ¥10,000, ×3 for coming back after
        # more than 180 days away (the 2020 order, which itself earns nothing)
        assert report.to_dict()["reactions"]["earned_points"] == 300
        assert _points(client, cid) == 300
        # re-importing the same file earns nothing more
        with session_scope(sessions_of(client)) as session:
            again = import_file(session, "orders", orders)
        assert again.to_dict()["reactions"]["earned_points"] == 0 and _points(client, cid) == 300
        # when a third of the recent order comes back (a returns file)
        back = to_shop_tz(plain_day() + timedelta(minutes=30)).strftime("%Y-%m-%d %H:%M")
        returns = _csv(tmp_path / "returns.csv", [f"R-1,return,N-1,C1,{back},BEAN-1,-1,3334"])
        with session_scope(sessions_of(client)) as session:
            returned = import_file(session, "orders", returns)
        # then floor(300 × 3,334 / 10,000) = 100 points are taken back
        assert returned.to_dict()["reactions"]["reversed_points"] == 100
        assert _points(client, cid) == 200
        with session_scope(sessions_of(client)) as session:
            entries = session.scalar(select(func.count()).select_from(StageChange))
        assert entries == 1  # joined Silver once; the return changed no stage
