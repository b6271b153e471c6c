"""The loyalty dashboard over a real app (SQLite and PostgreSQL): the overview's JSON twin
(liability, stages, movements, benefit costs), roles, the programme editor's validation,
preview and publish, and the customer page's loyalty panel and timeline entries."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from kizuna.accounts.service import do_create_user
from kizuna.kit.db import session_scope
from kizuna.loyalty.programme import default_programme, dumps
from kizuna.loyalty.toml_out import dumps_toml
from tests.integration.loyalty.http import (
    HANAKO,
    LOYALTY_SCOPES,
    RECORD_SCOPES,
    app_client,
    bearer,
    memory_queue,
    order_body,
    plain_day,
    sessions_of,
)


def _login(client: TestClient, role: str = "admin") -> None:
    email, password = "admin@example.jp", "kizuna-admin"
    if role != "admin":
        email, password = f"{role}@example.jp", "password-123"
        with session_scope(sessions_of(client)) as session:
            do_create_user(session, email, password, role)
    response = client.post("/login", data={"email": email, "password": password},
                           follow_redirects=False)  # fmt: skip
    assert response.status_code == 303


@pytest.fixture
def client(db_url: str) -> Iterator[TestClient]:
    """An app with two members: C1 bought ¥60,000 (Gold), C2 ¥10,000 (Silver)."""
    memory_queue()
    with app_client(db_url) as c:
        auth = bearer(c, RECORD_SCOPES + LOYALTY_SCOPES)
        at = plain_day()
        for cid, amount in (("C1", 60_000), ("C2", 10_000)):
            c.put(f"/api/customers/{cid}", json={**HANAKO, "email": f"{cid}@example.jp"},
                  headers=auth).raise_for_status()  # fmt: skip
            c.post("/api/orders", json=order_body(f"O-{cid}", cid, amount, at),
                   headers=auth).raise_for_status()  # fmt: skip
        yield c


class TestOverview:
    def test_json_twin_has_liability_stages_movements_costs(self, client: TestClient) -> None:
        _login(client)
        data = client.get("/loyalty.json").json()
        assert (data["liability"]["points"], data["liability"]["yen"]) == (700, 700)
        assert data["liability"]["customers"] == 2
        assert sum(r["points"] for r in data["liability"]["by_expiry_month"]) == 700
        assert data["distribution"] == {"gold": 1, "silver": 1}
        moves = {(m["from"], m["to"], m["reason"]): m["members"] for m in data["movements"]}
        assert moves == {(None, "gold", "joined"): 1, (None, "silver", "joined"): 1}
        assert len(data["benefit_cost_by_month"]) == 6
        assert [s["code"] for s in data["stages"]] == ["silver", "gold", "platinum"]
        html = client.get("/loyalty")
        assert html.status_code == 200 and 'id="loyalty-liability"' in html.text

    def test_support_may_not_open_it(self, client: TestClient) -> None:
        _login(client, "support")
        assert client.get("/loyalty.json").status_code == 403


class TestProgrammeEditor:
    def test_preview_then_publish_a_new_version(self, client: TestClient) -> None:
        _login(client, "marketer")
        draft = default_programme().model_dump(mode="python", exclude_none=True)
        draft["stages"][1]["min_qualifying"] = 5_000  # Gold from ¥5,000
        text = dumps(default_programme().model_validate(draft))
        previewed = client.post("/loyalty/programme", data={"document": text, "action": "preview"})
        assert previewed.status_code == 200
        assert (
            '<tr data-stage="gold"><td>ゴールド</td><td class="num">1</td><td class="num">1'
            '</td><td class="num edited">2</td></tr>' in previewed.text
        )
        published = client.post(
            "/loyalty/programme",
            data={"document": text, "action": "publish", "effective_from": "2030-04-01",
                  "note": "Gold from ¥5,000"},
            follow_redirects=False,
        )  # fmt: skip
        assert published.status_code == 303
        page = client.get("/loyalty/programme.json").json()
        assert [(v["version"], v["author"], v["note"]) for v in page["history"]] == [
            (1, "marketer@example.jp", "Gold from ¥5,000")
        ]
        assert page["programme"]["version"] == 0  # in force from 2030 only

    def test_overlapping_stages_are_refused_naming_the_field(self, client: TestClient) -> None:
        _login(client)
        draft = default_programme().model_dump(mode="python", exclude_none=True)
        draft["stages"][2]["min_qualifying"] = 50_000  # Platinum claims Gold's amounts
        text = dumps_toml(draft)
        response = client.post("/loyalty/programme", data={"document": text, "action": "publish"})
        assert response.status_code == 422
        assert "<code>stages[2].min_qualifying</code>" in response.text
        assert client.get("/loyalty/programme.json").json()["history"] == []

    def test_not_toml_is_refused(self, client: TestClient) -> None:
        _login(client)
        bad = {"document": "stages = [", "action": "preview"}
        response = client.post("/loyalty/programme", data=bad)
        assert response.status_code == 422
        assert "<code>document</code>" in response.text


class TestCustomerPage:
    def test_panel_and_timeline_show_points_and_stage(self, client: TestClient) -> None:
        _login(client, "support")
        customers = client.get("/customers.json", params={"q": "C1@example.jp"}).json()
        cid = customers["customers"][0]["id"]
        data = client.get(f"/customers/{cid}.json").json()
        panel = data["loyalty"]
        assert (panel["stage"]["stage"], panel["points"]["points"]) == ("gold", 600)
        assert panel["stage"]["message"]["en"].startswith("¥90,000 more to Platinum by ")
        assert [(e["kind"], e["points"]) for e in panel["recent"]] == [("earn", 600)]
        kinds = {(e["kind"], e["summary"]) for e in data["timeline"]}
        assert {("points", "earn"), ("stage", "gold")} <= kinds
        html = client.get(f"/customers/{cid}").text
        assert 'id="loyalty-panel"' in html and "プラチナまであと¥90,000" in html
