"""Concurrent API writers on a real server (uvicorn in a thread), on SQLite and PostgreSQL:
the same new customers, events and orders sent at once by several clients are stored once, and
no request fails."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select

from kizuna.accounts.service import do_create_api_key
from kizuna.customers.models import Customer
from kizuna.events.models import Event
from kizuna.kit.db import session_scope
from kizuna.orders.models import Order, OrderLine
from kizuna.settings import Settings
from kizuna.web.app import create_app
from tests.integration.web.test_api import ORDER

CLIENTS = 8


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(db_url: str) -> Iterator[tuple[str, dict[str, str], object]]:
    app = create_app(Settings(database_url=db_url))
    with session_scope(app.state.sessions) as session:
        _key, secret = do_create_api_key(session, "t", ["events:write", "orders:write"])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=_free_port(), log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    base = f"http://127.0.0.1:{server.config.port}"
    yield base, {"Authorization": f"Bearer {secret}"}, app.state.sessions
    server.should_exit = True
    thread.join(timeout=10)


def test_overlapping_writers_store_everything_once(served: tuple) -> None:
    base, headers, sessions = served
    events = [
        {
            "event_id": f"e{i}",
            "type": "page_view",
            "customer_id": f"C{i % 20}",
            "occurred_at": "2026-11-01T10:00:00+09:00",
        }
        for i in range(200)
    ]
    batches = [events[i : i + 25] for i in range(0, 200, 25)]

    def send(client_no: int) -> list[int]:
        with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
            codes = [client.post("/api/events", json={"events": b}).status_code for b in batches]
            for n in range(5):
                order = {**ORDER, "order_number": f"O-{n}", "customer_id": f"C{n}"}
                codes.append(client.post("/api/orders", json=order).status_code)
            return codes

    with ThreadPoolExecutor(CLIENTS) as pool:
        codes = [code for result in pool.map(send, range(CLIENTS)) for code in result]
    assert set(codes) == {200}
    with session_scope(sessions) as s:
        assert s.scalar(select(func.count()).select_from(Event)) == 200
        assert s.scalar(select(func.count()).select_from(Customer)) == 20
        assert s.scalar(select(func.count()).select_from(Order)) == 5
        assert s.scalar(select(func.count()).select_from(OrderLine)) == 5
