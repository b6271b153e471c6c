"""The dashboard in real headless Chromium (Debian's /usr/bin/chromium driven by Playwright):
log in, search a customer, open the timeline, switch language, and save screenshots."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser

from kizuna.accounts.service import do_create_api_key
from kizuna.kit.db import session_scope
from kizuna.settings import Settings
from kizuna.web.app import create_app
from tests.e2e.conftest import serve, shot
from tests.integration.web.test_api import HANAKO, ORDER

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db = tmp_path_factory.mktemp("e2e") / "kizuna.db"
    app = create_app(Settings(database_url=f"sqlite:///{db}"))
    with session_scope(app.state.sessions) as session:
        _key, secret = do_create_api_key(session, "e2e", ["customers:write", "orders:write"])
    for base in serve(app):
        headers = {"Authorization": f"Bearer {secret}"}
        httpx.put(f"{base}/api/customers/C1", json=HANAKO, headers=headers).raise_for_status()
        for n in range(3):
            placed = f"2026-0{n + 7}-01T10:00:00+09:00"
            order = {**ORDER, "order_number": f"A-{n}", "placed_at": placed}
            httpx.post(f"{base}/api/orders", json=order, headers=headers).raise_for_status()
        yield base


def test_login_search_timeline_language(server: str, browser: Browser) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    # given the login page (Japanese by default)
    page.goto(f"{server}/customers")
    assert page.url.startswith(f"{server}/login")
    page.fill("input[name=email]", "admin@example.jp")
    page.fill("input[name=password]", "kizuna-admin")
    page.click("button[type=submit]")
    page.wait_for_url(f"{server}/customers")
    # the overview draws its chart from the JSON twin
    page.goto(f"{server}/")
    page.wait_for_selector("#sales-chart[data-rendered=true]", timeout=10_000)
    assert "概要" in page.inner_text("h1")
    shot(page, "overview-ja")
    # when searching by kana
    page.goto(f"{server}/customers")
    page.fill("#q", "やまだ")
    page.keyboard.press("Enter")
    page.wait_for_selector("a.customer-link")
    assert page.inner_text("a.customer-link") == "山田 花子"
    shot(page, "search-ja")
    # then the customer page shows the timeline
    page.click("a.customer-link")
    page.wait_for_selector(".timeline-list .entry")
    assert page.locator(".entry.kind-order").count() == 3
    assert "¥12,000" in page.inner_text(".profile")
    shot(page, "customer-ja")
    # and switching language keeps the page and translates it
    page.click("#lang-switch")
    page.wait_for_selector("text=Timeline")
    assert "/customers/" in page.url
    assert "Total spend" in page.inner_text(".profile")
    shot(page, "customer-en")
    page.close()
