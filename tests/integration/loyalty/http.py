"""Helpers for the loyalty HTTP tests: a real app over a fresh database, API keys, a member,
a clock in the shop's zone and an in-memory job queue to see what was enqueued."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from huey import Huey
from sqlalchemy.orm import Session, sessionmaker

from kizuna.accounts.service import do_create_api_key
from kizuna.kit.clock import now, to_shop_tz
from kizuna.kit.db import session_scope
from kizuna.kit.queue import configure
from kizuna.settings import Settings
from kizuna.web.app import create_app

LOYALTY_SCOPES = ["loyalty:read", "loyalty:write"]
RECORD_SCOPES = ["customers:read", "customers:write", "orders:write", "events:write", "webhooks"]
HANAKO = {
    "family_name": "山田",
    "given_name": "花子",
    "email": "hanako@example.jp",
    "consents": [{"channel": "email", "granted": True}],
}


@contextmanager
def app_client(db_url: str) -> Iterator[TestClient]:
    """A TestClient over a real app on ``db_url``."""
    settings = Settings(
        database_url=db_url, admin_email="admin@example.jp", admin_password="kizuna-admin"
    )
    with TestClient(create_app(settings)) as client:
        yield client


def sessions_of(client: TestClient) -> sessionmaker[Session]:
    """The app's session factory."""
    return client.app.state.sessions  # type: ignore[attr-defined]


def bearer(client: TestClient, scopes: list[str]) -> dict[str, str]:
    """Authorization headers with a fresh key holding ``scopes``."""
    with session_scope(sessions_of(client)) as session:
        _key, secret = do_create_api_key(session, "test", scopes)
    return {"Authorization": f"Bearer {secret}"}


def memory_queue() -> Huey:
    """Point the job queue at memory for this test (nothing runs; we count what was sent)."""
    return configure("memory://", name="loyalty-tests")


def plain_day(hours_ago: int = 1) -> datetime:
    """A recent instant whose shop-local day does not end in 0 or 5 (no point-up day ×2)."""
    for extra in range(72):
        moment = now() - timedelta(hours=hours_ago + extra)
        if to_shop_tz(moment).day % 5 != 0:
            return moment
    raise AssertionError("unreachable: three days always include a plain day")


def order_body(number: str, customer: str, amount: int, at: datetime, **fields: Any) -> dict:
    """A one-line order of ``amount`` yen of goods."""
    return {
        "order_number": number,
        "customer_id": customer,
        "placed_at": at.isoformat(),
        "lines": [{"sku": "BEAN-1", "quantity": 1, "unit_price": amount}],
        **fields,
    }
