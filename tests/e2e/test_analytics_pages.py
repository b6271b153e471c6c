"""The analytics pages in headless Chromium over a small demo shop: the rank chart, the
migration heatmap and the strategy table (saving a target), the policy editor, the segment
builder's live count, cohorts and the funnel; screenshots in test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page

from kizuna.analytics.queries import forget
from kizuna.demo.load import run_demo
from kizuna.settings import Settings
from kizuna.web.app import create_app
from tests.e2e.conftest import login, serve, shot

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('e2e-analytics') / 'kizuna.db'}"
    app = create_app(Settings(database_url=url))
    run_demo(app.state.sessions, customers=800)
    yield from serve(app)
    forget(url)


@pytest.fixture(scope="module")
def page(server: str, browser: Browser) -> Iterator[Page]:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    login(page, server)
    yield page
    page.close()


def test_ranks_page(server: str, page: Page) -> None:
    page.goto(f"{server}/ranks", timeout=120_000)
    page.wait_for_selector("#rank-chart[data-rendered=true]", timeout=20_000)
    assert "ランクと戦略" in page.inner_text("h1")
    assert page.locator("#migration tbody tr").count() >= 3
    assert page.locator("table.strategy tbody tr").count() == 11
    shot(page, "analytics-ranks-ja")
    # the marketer sets a target for loyal customers and saves
    loyal = "table.strategy tbody tr:has(input[name=rank][value=loyal])"
    assert page.locator(loyal).locator("td").first.inner_text() == "優良"
    page.locator(f"{loyal} input[name=target_customers]").fill("500")
    page.click("#save-targets")
    page.wait_for_selector("p.notice")
    assert page.locator(f"{loyal} input[name=target_customers]").input_value() == "500"
    best = "table.strategy tbody tr:has(input[name=rank][value=best])"
    assert page.locator(f"{best} input[name=target_customers]").input_value() == ""


def test_policy_editor(server: str, page: Page) -> None:
    page.goto(f"{server}/ranks/policy")
    page.click("button[value=validate]")
    page.wait_for_selector("#preview")
    assert "定義は有効です" in page.inner_text("p.notice")
    text = page.input_value("textarea[name=document]")
    page.fill("textarea[name=document]", text.replace("[[rules]]", "[[rulez]]", 1))
    page.click("button[value=validate]")
    assert "rulez" in page.inner_text("p.error")
    shot(page, "analytics-policy-ja")


def test_segment_builder_live_count(server: str, page: Page) -> None:
    page.goto(f"{server}/segments")
    page.wait_for_selector("#segment-doc[data-state=counted]", timeout=60_000)
    page.fill("#segment-doc", '{"name": "Tokyo", "where": {"type": "all", "of": []}}')
    page.dispatch_event("#segment-doc", "input")
    page.click("button.chip[data-example*='prefecture']")
    page.wait_for_function(
        "document.querySelector('#live-labels').innerText.includes('東京都')", timeout=20_000
    )
    count = int(page.inner_text("#live-count").replace(",", ""))
    assert count > 0
    assert page.locator("#live-sample tbody tr").count() == min(count, 10)
    shot(page, "analytics-segments-ja")
    # a mistake shows where it is
    page.fill("#segment-doc", '{"name": "x", "where": {"type": "rank"}}')
    page.dispatch_event("#segment-doc", "input")
    page.wait_for_selector("#live-error:not([hidden])")
    assert "where.rank.ranks" in page.inner_text("#live-error")
    # saving keeps it in the list
    page.fill(
        "#segment-doc",
        '{"name": "東京の顧客", "where": {"type": "prefecture", "values": ["東京都"]}}',
    )
    page.click("#segment-form button[type=submit]")
    page.wait_for_selector("#saved-segments")
    assert "東京の顧客" in page.inner_text("#saved-segments")


def test_cohorts_and_funnel_then_english(server: str, page: Page) -> None:
    page.goto(f"{server}/cohorts")
    assert page.locator("#cohorts tbody tr").count() >= 6
    shot(page, "analytics-cohorts-ja")
    page.goto(f"{server}/funnel")
    page.wait_for_selector("#funnel-chart[data-rendered=true]", timeout=20_000)
    shot(page, "analytics-funnel-ja")
    page.goto(f"{server}/ranks")
    page.click("#lang-switch")
    page.wait_for_selector("#rank-chart[data-rendered=true]", timeout=20_000)
    assert "Ranks and strategy" in page.inner_text("h1")
    shot(page, "analytics-ranks-en")
