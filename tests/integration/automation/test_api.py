"""The automation API on SQLite and PostgreSQL: scoped keys, journeys (list, switch, detail,
uplift), campaigns (audience count, create, send once, results)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from kizuna.automation.journeys import service
from kizuna.kit import queue
from kizuna.kit.db import session_scope
from tests.integration.channels.helpers import add_customers
from tests.integration.web.conftest import app_client, app_sessions, make_key

__all__ = ["app_client", "app_sessions"]

TOKYO = {"type": "prefecture", "values": ["東京都"]}


def keys(sessions: sessionmaker[Session]) -> tuple[dict[str, str], dict[str, str]]:
    read = make_key(sessions, ["automation:read"])
    write = make_key(sessions, ["automation:read", "automation:write"])
    return {"Authorization": f"Bearer {read}"}, {"Authorization": f"Bearer {write}"}


def test_journeys_over_the_api(app_client: TestClient, app_sessions: sessionmaker[Session]) -> None:
    with session_scope(app_sessions) as session:
        service.install_presets(session, actor="test")
    read, write = keys(app_sessions)
    listed = app_client.get("/api/journeys", headers=read).json()
    assert len(listed) == 11 and not any(j["enabled"] for j in listed)
    # a read-only key may not switch; a write key may, and it is audited with its name
    body = {"enabled": True}
    assert (
        app_client.put("/api/journeys/welcome/enabled", json=body, headers=read).status_code == 403
    )
    switched = app_client.put("/api/journeys/welcome/enabled", json=body, headers=write)
    assert (switched.status_code, switched.json()["enabled"]) == (200, True)
    detail = app_client.get("/api/journeys/welcome", headers=read).json()
    assert detail["steps"][0]["id"] == "thanks"
    lift = app_client.get("/api/journeys/welcome/uplift?days=7", headers=read).json()
    assert (lift["days"], lift["verdict"]) == (7, "sample_too_small")
    assert app_client.get("/api/journeys/nope", headers=read).status_code == 404
    assert app_client.get("/api/journeys").status_code == 401


def test_campaigns_over_the_api(
    app_client: TestClient, app_sessions: sessionmaker[Session]
) -> None:
    queue.configure("memory://")
    with session_scope(app_sessions) as session:
        add_customers(session, 30)
    read, write = keys(app_sessions)
    count = app_client.post("/api/campaigns/audience", json={"definition": TOKYO}, headers=read)
    assert count.json()["members"] == 30
    doc = {
        "key": "spring",
        "name": "春のセール",
        "definition": {"name": "tokyo", "where": TOKYO},
        "channel": "email",
        "context": {"items": []},
        "i18n": {"ja": {"headline": "春のセール"}, "en": {"headline": "Spring sale"}},
        "holdout_share": 0.2,
    }
    assert app_client.post("/api/campaigns", json=doc, headers=read).status_code == 403
    sent = app_client.post("/api/campaigns?send=true", json=doc, headers=write)
    assert sent.status_code == 201, sent.text
    data = sent.json()
    assert data["status"] == "sent" and data["pending"] + data["holdout"] == 30
    again = app_client.post("/api/campaigns?send=true", json=doc, headers=write)
    assert again.status_code == 409
    results = app_client.get("/api/campaigns/spring", headers=read).json()
    assert results["status"] == "sent" and results["counts"]["audience"] == 30
    bad = app_client.post("/api/campaigns", json={**doc, "key": "Bad Key"}, headers=write)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "body.key"
