"""A real app over a fresh database, a TestClient, API keys and a logged-in dashboard user."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from kizuna.accounts.service import do_create_api_key, do_create_user
from kizuna.kit.db import session_scope
from kizuna.settings import Settings
from kizuna.web.app import create_app

ALL_SCOPES = ["customers:read", "customers:write", "orders:write", "events:write", "webhooks"]


@pytest.fixture
def app_client(db_url: str) -> Iterator[TestClient]:
    settings = Settings(
        database_url=db_url, admin_email="admin@example.jp", admin_password="kizuna-admin"
    )
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def app_sessions(app_client: TestClient) -> sessionmaker[Session]:
    return app_client.app.state.sessions  # type: ignore[attr-defined]


def make_key(sessions: sessionmaker[Session], scopes: list[str]) -> str:
    with session_scope(sessions) as session:
        _key, secret = do_create_api_key(session, "test", scopes)
    return secret


@pytest.fixture
def auth(app_sessions: sessionmaker[Session]) -> dict[str, str]:
    """Headers with a key that has every scope."""
    return {"Authorization": f"Bearer {make_key(app_sessions, ALL_SCOPES)}"}


def login(client: TestClient, sessions: sessionmaker[Session], role: str = "admin") -> None:
    email = f"{role}@example.jp"
    if role != "admin":
        with session_scope(sessions) as session:
            do_create_user(session, email, "password-123", role)
    password = "kizuna-admin" if role == "admin" else "password-123"
    response = client.post(
        "/login", data={"email": email, "password": password}, follow_redirects=False
    )
    assert response.status_code == 303
