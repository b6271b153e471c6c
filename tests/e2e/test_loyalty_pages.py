"""The loyalty pages in real headless Chromium: the overview draws its three charts from the
JSON twin in Japanese and English, the programme editor previews an edit, and the customer page
shows the loyalty panel and the points in the timeline. Screenshots in test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser

from kizuna.accounts.service import do_create_api_key
from kizuna.customers.queries import find_by_external_id
from kizuna.kit.db import session_scope
from kizuna.kit.queue import configure
from kizuna.settings import Settings
from kizuna.web.app import create_app
from tests.e2e.conftest import login, serve, shot
from tests.integration.loyalty.http import HANAKO, order_body, plain_day

pytestmark = pytest.mark.e2e
SPEND = {"C1": 160_000, "C2": 60_000, "C3": 12_000}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """A live app with three members in three stages and some points spent."""
    configure("memory://", name="e2e-loyalty")
    db = tmp_path_factory.mktemp("e2e-loyalty") / "kizuna.db"
    app = create_app(Settings(database_url=f"sqlite:///{db}"))
    scopes = ["customers:write", "orders:write", "loyalty:read", "loyalty:write"]
    with session_scope(app.state.sessions) as session:
        _key, secret = do_create_api_key(session, "e2e", scopes)
    for base in serve(app):
        headers = {"Authorization": f"Bearer {secret}"}
        at = plain_day()
        for n, (cid, amount) in enumerate(SPEND.items()):
            person = {**HANAKO, "given_name": f"花子{n}", "email": f"{cid}@example.jp"}
            httpx.put(
                f"{base}/api/customers/{cid}", json=person, headers=headers
            ).raise_for_status()
            order = order_body(f"W-{cid}", cid, amount, at)
            httpx.post(f"{base}/api/orders", json=order, headers=headers).raise_for_status()
        spend = {"customer_id": "C1", "points": 300, "order_ref": "POS-1"}
        httpx.post(f"{base}/api/loyalty/redemptions", json=spend,
                   headers={**headers, "Idempotency-Key": "pos-1"}).raise_for_status()  # fmt: skip
        with session_scope(app.state.sessions) as session:
            customer = find_by_external_id(session, "C1")
            assert customer is not None
            c1 = customer.id
        yield base, c1


def test_overview_charts_in_both_languages(server: tuple[str, int], browser: Browser) -> None:
    base, _ = server
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    login(page, base)
    page.goto(f"{base}/loyalty")
    for chart in ("loyalty-liability", "loyalty-stages", "loyalty-benefits"):
        page.wait_for_selector(f"#{chart}[data-rendered=true]", timeout=10_000)
    assert "ロイヤルティ" in page.inner_text("h1")
    # 1% of ¥160,000 + 1% of ¥60,000 + 1% of ¥12,000, less 300 spent
    assert "2,020" in page.inner_text(".kpis")
    rows = page.inner_text("#stage-table")
    assert "プラチナ\t1" in rows and "ゴールド\t1" in rows and "シルバー\t1" in rows
    shot(page, "loyalty-ja")
    page.click("#lang-switch")
    page.wait_for_selector("#loyalty-benefits[data-rendered=true]", timeout=10_000)
    assert "Outstanding points" in page.inner_text(".kpis")
    assert "Platinum" in page.inner_text("#stage-table")
    shot(page, "loyalty-en")
    page.close()


def test_programme_editor_previews_an_edit(server: tuple[str, int], browser: Browser) -> None:
    base, _ = server
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    login(page, base)
    page.goto(f"{base}/loyalty/programme")
    text = page.input_value("textarea[name=document]")
    assert "min_qualifying = 50000" in text
    # when Gold starts at ¥10,000 and the marketer asks for a preview
    page.fill(
        "textarea[name=document]", text.replace("min_qualifying = 50000", "min_qualifying = 10000")
    )
    page.click("button[value=preview]")
    page.wait_for_selector("#preview")
    # then the silver member would move up: Gold 1 → 2, Silver 1 → 0
    assert page.inner_text("tr[data-stage=gold] td.edited") == "2"
    assert page.inner_text("tr[data-stage=silver] td.edited") == "0"
    shot(page, "loyalty-programme-preview")
    # a broken document names the field
    page.fill(
        "textarea[name=document]", text.replace("min_qualifying = 150000", "min_qualifying = 50000")
    )
    page.click("button[value=preview]")
    page.wait_for_selector("#programme-error")
    assert "stages[2].min_qualifying" in page.inner_text("#programme-error")
    shot(page, "loyalty-programme-error")
    page.close()


def test_customer_page_has_the_loyalty_panel(server: tuple[str, int], browser: Browser) -> None:
    base, c1 = server
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    login(page, base)
    page.goto(f"{base}/customers/{c1}")
    page.wait_for_selector("#loyalty-panel")
    panel = page.inner_text("#loyalty-panel")
    assert "プラチナ" in panel and "1,300 pt" in panel
    assert page.locator(".entry.kind-points").count() == 2
    assert page.locator(".entry.kind-stage").count() == 1
    shot(page, "loyalty-customer-ja")
    page.close()
