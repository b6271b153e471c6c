"""The analytics dashboard (ranks and strategy table, rank policy editor, segments, cohorts,
funnel) and their JSON twins over a small shop, on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from kizuna.analytics.queries import forget
from kizuna.kit.db import session_scope
from tests.analytics.factories import AS_OF, ago, customers, event, order, orders
from tests.integration.web.conftest import login

DAY = AS_OF.isoformat()


@pytest.fixture
def shop(
    app_client: TestClient, app_sessions: sessionmaker[Session], db_url: str
) -> Iterator[TestClient]:
    """LOYAL (4 purchase days, ¥60,000 in the year), NEW (bought 10 days ago), LEAD (viewed)."""
    with session_scope(app_sessions) as s:
        customers(s, "LOYAL", "NEW", "LEAD")
        orders(s, [order(f"L-{n}", "LOYAL", ago(20 + 60 * n), 15_000) for n in range(4)])
        orders(s, [order("N-1", "NEW", ago(10), 5_000)])
        event(s, "v1", "LEAD", "product_view", ago(5))
    login(app_client, app_sessions, role="marketer")
    yield app_client
    forget(db_url)


def test_ranks_page_and_its_json_twin(shop: TestClient) -> None:
    data = shop.get(f"/ranks.json?as_of={DAY}&from=2024-05-01").json()
    ranks = {r["rank"]: r["customers"] for r in data["distribution"]}
    assert (ranks["loyal"], ranks["new"], ranks["hot_lead"]) == (1, 1, 1)
    migration = {(c["from_rank"], c["to_rank"]): c for c in data["migration"]["cells"]}
    assert data["migration"]["source"] == "recompute"
    assert migration[("repeat", "loyal")]["revenue"] == 15_000
    table = {r["rank"]: r for r in data["strategy"]["table"]}
    assert table["loyal"]["revenue_12m"] == 60_000
    assert table["loyal"]["share_of_revenue"] == pytest.approx(60_000 / 65_000)
    assert data["strategy"]["raise"]["moves"] is None  # no snapshots: recomputed only on demand
    html = shop.get(f"/ranks?as_of={DAY}").text
    assert "顧客マネジメント戦略策定サポート表" in html and "優良" in html
    monthly = shop.get(f"/ranks.json?as_of={DAY}&moves=recompute").json()["strategy"]["raise"]
    assert monthly["moves_source"] == "recompute"
    assert {(m["month"], m["from_rank"], m["to_rank"]) for m in monthly["moves"]} >= {
        ("2024-06", "repeat", "loyal")
    }


def test_a_bad_date_names_the_parameter(shop: TestClient) -> None:
    response = shop.get("/ranks.json?as_of=2024-02-30")
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "as_of"


def test_support_may_not_open_the_analytics(
    app_client: TestClient, app_sessions: sessionmaker[Session]
) -> None:
    login(app_client, app_sessions, role="support")
    for path in ("/ranks", "/segments", "/cohorts.json", "/funnel.json", "/ranks/policy"):
        assert app_client.get(path).status_code == 403, path


def test_saving_targets_publishes_a_policy_version(shop: TestClient) -> None:
    ranks = [r["rank"] for r in shop.get(f"/ranks.json?as_of={DAY}").json()["strategy"]["table"]]
    form = {
        "rank": ranks,
        "services": [f"service of {r}" for r in ranks],
        "target_customers": ["120" if r == "loyal" else "" for r in ranks],
        "target_churn": ["5" if r == "loyal" else "" for r in ranks],
        "target_upgrade": ["" for _ in ranks],
        "target_note": ["" for _ in ranks],
        "as_of": DAY,
    }
    response = shop.post("/ranks/targets", data=form, follow_redirects=False)
    # the built-in default is version 1 until something is published; the first stored is 1 too
    assert response.status_code == 303 and "saved=1" in response.headers["location"]
    data = shop.get(f"/ranks.json?as_of={DAY}").json()
    loyal = next(r for r in data["strategy"]["table"] if r["rank"] == "loyal")
    assert loyal["services"] == "service of loyal"
    assert loyal["target"] == {"customers": 120, "churn_rate": 0.05}
    assert data["policy"]["version"] == 1
    bad = {**form, "target_churn": ["many" if r == "loyal" else "" for r in ranks]}
    response = shop.post("/ranks/targets", data=bad)
    assert response.status_code == 422 and "target.loyal.churn_rate" in response.text


def test_policy_editor_validates_previews_and_publishes(shop: TestClient) -> None:
    page = shop.get("/ranks/policy.json").json()
    assert page["policy"]["version"] == 1 and page["history"] == []
    toml = page["document"]
    assert '[[rules]]\nrank = "problem"' in toml
    broken = toml.replace('op = ">="', 'op = "≥"', 1)
    response = shop.post("/ranks/policy", data={"document": broken, "action": "validate"})
    assert response.status_code == 422 and "rules.3.when" in response.text
    # a stricter loyal rule (¥100,000) moves LOYAL to repeat in the preview
    stricter = toml.replace("value = 50000", "value = 100000")
    response = shop.post("/ranks/policy", data={"document": stricter, "action": "validate"})
    assert response.status_code == 200 and 'id="preview"' in response.text
    response = shop.post(
        "/ranks/policy",
        data={"document": stricter, "action": "publish", "note": "loyal from ¥100,000"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    shop.post("/ranks/policy", data={"document": stricter, "action": "publish"})
    page = shop.get("/ranks/policy.json?format=json").json()
    assert page["policy"]["version"] == 2
    assert [v["note"] for v in page["history"]] == [None, "loyal from ¥100,000"]
    assert json.loads(page["document"])["version"] == 2
    ranks = {r["rank"]: r["customers"] for r in shop.get(f"/ranks.json?as_of={DAY}").json()[
        "distribution"]}  # fmt: skip
    assert (ranks["loyal"], ranks["repeat"]) == (0, 1)


def test_segment_builder_counts_saves_and_exports(shop: TestClient) -> None:
    page = shop.get("/segments.json").json()
    assert {"rank", "churn_risk", "clv"} <= {p["type"] for p in page["palette"]}
    one_order = {"type": "field", "field": "orders", "min": 1, "max": 1}
    where = {"type": "any", "of": [{"type": "rank", "ranks": ["loyal"]}, one_order]}
    doc = {"name": "Buyers", "where": where}
    counted = shop.post(f"/segments/count.json?as_of={DAY}", json=doc).json()
    assert (counted["members"], counted["customers"]) == (2, 3)
    assert counted["by_rank"] == {"loyal": 1, "new": 1}
    assert [m["spend_12m"] for m in counted["sample"]] == [60_000, 5_000]
    assert counted["labels"][0] == "Any of:"
    bad = shop.post("/segments/count.json", json={"name": "x", "where": {"type": "rank"}})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "where.rank.ranks"
    saved = shop.post("/segments", data={"document": json.dumps(doc)}, follow_redirects=False)
    assert saved.status_code == 303
    listed = shop.get("/segments.json").json()["saved"]
    assert [s["name"] for s in listed] == ["Buyers"]
    loaded = shop.get(f"/segments.json?load={listed[0]['id']}").json()
    assert json.loads(loaded["document"])["where"] == where
    export = shop.get(f"/segments/{listed[0]['id']}/export.csv?as_of={DAY}")
    assert export.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(export.text)))
    assert sorted(r["rank"] for r in rows) == ["loyal", "new"]
    invalid = shop.post("/segments", data={"document": "{"})
    assert invalid.status_code == 422 and "not valid JSON" in invalid.text


def test_cohorts_and_funnel(shop: TestClient) -> None:
    cohorts = shop.get(f"/cohorts.json?as_of={DAY}").json()
    assert "2024-06" in cohorts["cohorts"]  # NEW's first purchase
    june = cohorts["cohorts"].index("2024-06")
    assert cohorts["sizes"][june] == 1 and cohorts["retention"][june][0] == 1.0
    assert shop.get(f"/cohorts?as_of={DAY}").status_code == 200
    funnel = shop.get(f"/funnel.json?as_of={DAY}").json()
    assert len(funnel["months"]) == 12
    june = next(m for m in funnel["months"] if m["month"] == "2024-06")
    assert june["new_customers"] == 1 and june["visitors"] == 1
    assert "獲得ファネル" in shop.get(f"/funnel?as_of={DAY}").text
    assert shop.get("/funnel.json?months=99").status_code == 422


def test_the_warm_up_computes_todays_rank_page(shop: TestClient, db_url: str) -> None:
    from kizuna.analytics.queries import workbench
    from kizuna.web.analytics_scope import warm_up

    warm_up(shop.app).join(timeout=300)  # type: ignore[arg-type]
    keys = {key[0] for key in workbench(None, db_url).memo}
    assert {"base", "cells", "strategy"} <= keys
