"""The automation pages in real headless Chromium: the journeys list (switch a journey off and
on), a journey's funnel and uplift charts, the campaign builder (live count, ja/en preview,
send), the suppression list, and the message in the customer timeline; screenshots in
test-artifacts/."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.analytics.segments.definition import SegmentDefinition
from kizuna.analytics.snapshots import do_save_segment
from kizuna.automation.journeys import hooks, runner
from kizuna.automation.models import ExperimentAssignment
from kizuna.customers.models import Customer
from kizuna.kit import queue
from kizuna.kit.clock import now
from kizuna.kit.db import session_scope
from kizuna.settings import Settings
from kizuna.web.app import create_app
from tests.e2e.conftest import login, serve, shot
from tests.integration.automation.journeys.factories import add_order, switch_on
from tests.integration.channels.helpers import add_customers

pytestmark = pytest.mark.e2e


def welcome_history(session: Session, customers: int = 400) -> list[int]:
    """``customers`` first orders 40 days ago through the welcome journey (30 % held out;
    thanks at once, the recommendation after 14 days), and second orders: 12 % of the held-out
    customers, 30 % of the treated ones, so the uplift is real and significant."""
    start = now() - timedelta(days=40)
    ids = add_customers(session, customers)
    switch_on(session, "welcome", holdout=0.3)
    orders = [add_order(session, cid, start).id for cid in ids]
    hooks.on_orders_recorded(session, orders, at=start + timedelta(minutes=1))
    runner.tick(session, at=start + timedelta(days=15), limit=10_000)
    arms = dict(
        session.execute(
            select(ExperimentAssignment.customer_id, ExperimentAssignment.arm).where(
                ExperimentAssignment.experiment == "journey:welcome"
            )
        ).all()
    )
    rng = random.Random(3)
    for cid in ids:
        if rng.random() < (0.30 if arms.get(cid) == "treatment" else 0.12):
            add_order(session, cid, start + timedelta(days=rng.uniform(1, 25)), total=6800)
    return ids


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[int]]]:
    queue.configure("memory://")
    db = tmp_path_factory.mktemp("e2e-automation") / "kizuna.db"
    app = create_app(Settings(database_url=f"sqlite:///{db}"))
    with session_scope(app.state.sessions) as session:
        ids = welcome_history(session)
        ids += add_customers(session, 3, start=1000, consent=())
        session.add_all(Customer(family_name="大阪", prefecture="大阪府") for _ in range(2))
        tokyo = {"name": "tokyo", "where": {"type": "prefecture", "values": ["東京都"]}}
        do_save_segment(
            session, "東京の顧客", SegmentDefinition.model_validate(tokyo), author="e2e"
        )
    for base in serve(app):
        yield base, ids


def open_page(browser: Browser, base: str) -> Page:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    login(page, base)
    return page


def test_journeys_list_switch_and_detail(server: tuple[str, list[int]], browser: Browser) -> None:
    base, _ = server
    page = open_page(browser, base)
    # given the journeys list, with welcome on and its uplift measured
    page.goto(f"{base}/journeys")
    row = page.locator("#journey-welcome")
    assert row.locator("button.toggle").inner_text() == "オン"
    assert "効果あり" in row.inner_text()
    assert page.locator("table.journeys tbody tr").count() == 11
    shot(page, "journeys-ja")
    # when it is switched off and on again with its form
    row.locator("button.toggle").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#journey-welcome button.toggle").inner_text() == "オフ"
    page.locator("#journey-welcome button.toggle").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("#journey-welcome button.toggle").inner_text() == "オン"
    # then its page draws the funnel and the uplift interval from the JSON twin
    page.click("#journey-welcome a")
    page.wait_for_selector("#journey-funnel[data-rendered=true]", timeout=10_000)
    page.wait_for_selector("#journey-uplift[data-rendered=true]", timeout=10_000)
    assert "95%信頼区間" in page.inner_text(".uplift-card")
    assert "有意" in page.inner_text(".uplift-card")
    shot(page, "journey-welcome-ja")
    page.click("#lang-switch")
    page.wait_for_selector("#journey-funnel[data-rendered=true]", timeout=10_000)
    assert "Customers reaching each step" in page.inner_text("main")
    shot(page, "journey-welcome-en")
    page.goto(f"{base}/lang/ja?next=/journeys")
    page.close()


def test_campaign_builder_counts_previews_and_sends(
    server: tuple[str, list[int]], browser: Browser
) -> None:
    base, ids = server
    page = open_page(browser, base)
    page.goto(f"{base}/campaigns")
    # given a saved segment picked: the live count answers
    page.select_option("#segment", "東京の顧客")
    page.wait_for_function("document.getElementById('audience-count').textContent === '403'")
    # when a JSON tree is written instead, the count follows it
    page.check("input[name=audience_mode][value=definition]")
    page.fill("#definition", '{"type": "prefecture", "values": ["大阪府"]}')
    page.wait_for_function("document.getElementById('audience-count').textContent === '2'")
    page.check("input[name=audience_mode][value=segment]")
    page.wait_for_function("document.getElementById('audience-count').textContent === '403'")
    # and the preview shows both languages and the B variant
    page.fill("#key", "autumn")
    page.fill("#name", "秋の新商品")
    page.fill("#headline_ja", "秋の新商品のご案内")
    page.fill("#headline_en", "New for autumn")
    page.fill("#variant_b_ja", "秋の新作、入荷しました")
    page.wait_for_function(
        "document.querySelector('.preview-pane[data-lang=en]').textContent.includes('autumn')"
    )
    assert "秋の新作、入荷しました" in page.inner_text(".preview-pane[data-lang=ja]")
    shot(page, "campaign-builder-ja")
    # then sending lists the campaign with its counts
    page.click("#send-now")
    page.wait_for_selector("#campaign-autumn")
    assert "送信済み" in page.inner_text("#campaign-autumn")
    assert "403" in page.inner_text("#campaign-autumn")
    shot(page, "campaigns-sent-ja")
    page.click("#campaign-autumn a")
    page.wait_for_selector("#winner")
    assert "勝者はまだ決まっていません" in page.inner_text("#winner")
    shot(page, "campaign-autumn-ja")
    # and a customer without consent shows the dropped message in the timeline
    page.goto(f"{base}/customers/{ids[-1]}")
    message = page.locator(".entry.kind-message").first
    assert "no_consent:email" in message.inner_text()
    shot(page, "customer-messages-ja")
    page.close()


def test_suppression_list_add_search_lift(server: tuple[str, list[int]], browser: Browser) -> None:
    base, ids = server
    page = open_page(browser, base)
    page.goto(f"{base}/suppressions")
    page.fill("#s-customer", str(ids[0]))
    page.fill("#s-note", "電話で配信停止の依頼")
    page.click("#suppress-form button[type=submit]")
    page.wait_for_selector("text=配信を停止しました。")
    page.fill("#s-address", "bounce@example.jp")
    page.select_option("#s-reason", "bounce")
    page.click("#suppress-form button[type=submit]")
    page.fill("#q", "bounce@")
    page.keyboard.press("Enter")
    page.wait_for_load_state("networkidle")
    assert page.locator("table.suppressions tbody tr").count() == 1
    page.goto(f"{base}/suppressions")
    assert page.locator("table.suppressions tbody tr").count() == 2
    shot(page, "suppressions-ja")
    first = page.locator("table.suppressions tbody tr").last
    first.locator("input[name=reason]").fill("再度の購読希望")
    first.locator("button").click()
    page.wait_for_selector("text=配信停止を解除しました。")
    assert page.locator("table.suppressions tbody tr").count() == 1
    page.close()
