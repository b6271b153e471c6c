"""The analytics API (key scope customers:read): ranks, migration, strategy table, segments."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from kizuna.analytics.queries import forget
from kizuna.kit.db import session_scope
from tests.analytics.factories import AS_OF, ago, customers, order, orders
from tests.integration.web.conftest import make_key

DAY = AS_OF.isoformat()


@pytest.fixture
def api(
    app_client: TestClient, app_sessions: sessionmaker[Session], sqlite_url: str
) -> Iterator[tuple[TestClient, dict[str, str]]]:
    with session_scope(app_sessions) as s:
        customers(s, "LOYAL", "NEW", "LEAD")
        orders(s, [order(f"L-{n}", "LOYAL", ago(20 + 60 * n), 15_000) for n in range(4)])
        orders(s, [order("N-1", "NEW", ago(10), 5_000)])
    headers = {"Authorization": f"Bearer {make_key(app_sessions, ['customers:read'])}"}
    yield app_client, headers
    forget(sqlite_url)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_ranks_migration_strategy(api: tuple[TestClient, dict[str, str]]) -> None:
    client, headers = api
    ranks = client.get(f"/api/ranks?as_of={DAY}", headers=headers).json()
    assert {r["rank"]: r["customers"] for r in ranks["ranks"]}["loyal"] == 1
    moved = client.get(f"/api/ranks/migration?from=2024-05-01&to={DAY}", headers=headers).json()
    cells = {(c["from_rank"], c["to_rank"]): c["customers"] for c in moved["cells"]}
    assert cells[("repeat", "loyal")] == 1 and moved["source"] == "recompute"
    table = client.get(f"/api/ranks/strategy?as_of={DAY}", headers=headers).json()["table"]
    assert next(r for r in table if r["rank"] == "loyal")["revenue_12m"] == 60_000
    bad = client.get("/api/ranks/migration?from=2024-05-01&to=2024-04-01", headers=headers)
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "to"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_segment_count(api: tuple[TestClient, dict[str, str]]) -> None:
    client, headers = api
    doc = {"name": "Spent", "where": {"type": "field", "field": "spend_total", "min": 1}}
    data = client.post(f"/api/segments/count?as_of={DAY}&sample=5", json=doc, headers=headers)
    body = data.json()
    assert (body["members"], body["by_rank"]) == (2, {"loyal": 1, "new": 1})
    assert [m["spend_12m"] for m in body["sample"]] == [60_000, 5_000]
    bad = client.post("/api/segments/count", json={"name": "x", "where": {"type": "rfm"}},
                      headers=headers)  # fmt: skip
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "where.rfm.score"
    assert client.get("/api/segments", headers=headers).json() == {"items": []}
    assert client.get("/api/segments/9/count", headers=headers).status_code == 404


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_keys_and_scopes(
    api: tuple[TestClient, dict[str, str]], app_sessions: sessionmaker[Session]
) -> None:
    client, _headers = api
    assert client.get("/api/ranks").status_code == 401
    writer = {"Authorization": f"Bearer {make_key(app_sessions, ['orders:write'])}"}
    assert client.get("/api/ranks", headers=writer).status_code == 403
