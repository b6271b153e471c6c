"""The public after-purchase pages in real headless Chromium: a customer fills the survey form
on a phone-sized screen and gets the points, opens the tracking page, and writes a review; the
dashboard's feedback pages draw their charts. Screenshots go to test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, ViewportSize

from kizuna.feedback.tickets import TicketIn, do_open_ticket
from kizuna.ingest.after_purchase import answer_survey, shipment_status, survey_invitation
from kizuna.ingest.feedback_links import review_invitation
from kizuna.kit.db import session_scope
from kizuna.orders.return_requests import ReturnLineIn, ReturnRequestIn, do_request_return
from kizuna.orders.schemas import LineIn
from kizuna.orders.tracking import tracking_token
from kizuna.orders.warranties import PlanIn, do_create_plan, enrol_order
from kizuna.orders.warranty_claims import do_file_claim
from kizuna.recommend.store import replace_popular
from kizuna.settings import Settings
from kizuna.web.app import create_app
from tests.e2e.conftest import login, serve, shot
from tests.integration.feedback.factories import (
    BEANS,
    MUG,
    T0,
    customer,
    name_product,
    nps_survey,
    order,
)

pytestmark = pytest.mark.e2e
PHONE: ViewportSize = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    db = tmp_path_factory.mktemp("e2e-feedback") / "kizuna.db"
    app = create_app(Settings(database_url=f"sqlite:///{db}"))
    with session_scope(app.state.sessions) as session:
        taro = customer(session, "C1", prefecture="北海道")
        order_id = order(session, "C1", "A-1")
        name_product(session, "BEAN-1", "深煎りブレンド 200g")
        name_product(session, "CUP-1", "有田焼マグカップ")
        order(session, None, "G-1", (LineIn("TEA-1", 1, 1200, 1200, "煎茶 100g"),))
        name_product(session, "TEA-1", "八女煎茶 100g")
        replace_popular(session, {"shop": ["CUP-1", "TEA-1", "BEAN-1"]}, T0)
        nps_survey(session)
        for n in range(6):  # earlier answers from other customers, for the dashboard's chart
            other = customer(session, f"C{n + 2}")
            answers: dict[str, int | str | None] = {
                "nps": 4 + n,
                "packing": 3 + n % 3,
                "comment": f"コメント{n}",
            }
            answer_survey(session, "after-delivery", other, answers, at=T0 - timedelta(days=40 * n))
        for status, hours in (("荷物受付", 2), ("輸送中", 20), ("配達中", 44)):
            body = {
                "carrier": "yamato",
                "tracking_number": "4290-1111-2222",
                "order_number": "A-1",
                "status": status,
                "at": T0 + timedelta(hours=hours),
            }
            shipment_status(session, body)
        opened = do_open_ticket(
            session,
            TicketIn(
                "phone", "complaint", "delivery", "届かない", "まだ届きません", order_number="A-1"
            ),
            actor="desk@example.jp",
        )
        do_open_ticket(session, TicketIn("chat", "inquiry", "points", "ポイント残高"), actor="desk")
        do_request_return(
            session, ReturnRequestIn("A-1", (ReturnLineIn(1, 1),), "damaged", "courier_pickup")
        )
        plan = PlanIn("W1", "WARRANTY-1Y", "1年延長保証", "1-year cover", 12, 1500)
        do_create_plan(session, plan, actor="admin")
        cover = LineIn("WARRANTY-1Y", 1, 1500, 1500, "1年延長保証")
        (row,) = enrol_order(session, order(session, "C1", "A-2", (BEANS, MUG, cover)))
        do_file_claim(session, row.id, "取っ手が取れた")
        links = {
            "ticket": str(opened.ticket_id),
            "survey": survey_invitation("after-delivery", taro, order_id),
            "tracking": tracking_token(session, order_id),
            "review": review_invitation(taro, order_id),
        }
    for base in serve(app):
        yield links | {"base": base}


def test_a_customer_answers_the_survey_on_a_phone(shop: dict, browser: Browser) -> None:
    page = browser.new_page(viewport=PHONE)
    # given the survey link from the after-delivery email
    page.goto(f"{shop['base']}/s/{shop['survey']}")
    assert page.inner_text("h1") == "お買い物アンケート"
    # when the customer picks 9, rates the packing 4 and writes a comment
    page.click(".scale-nps label:has(input[value='9'])")
    page.click(".scale-csat label:has(input[value='4'])")
    page.fill("textarea[name='answers.comment']", "梱包がとても丁寧でした。")
    shot(page, "feedback-survey-form-ja")
    page.click("#survey-submit")
    # then the thanks page says how many points were granted
    page.wait_for_selector(".thanks")
    assert "50ポイントを付与しました。" in page.inner_text(".thanks")
    shot(page, "feedback-survey-thanks-ja")
    # and opening the link again says it was answered
    page.goto(f"{shop['base']}/s/{shop['survey']}")
    assert "回答済み" in page.inner_text(".notice")
    page.close()


def test_the_tracking_page_on_a_phone(shop: dict, browser: Browser) -> None:
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{shop['base']}/t/{shop['tracking']}")
    assert page.inner_text("#tracking-status") == "配達中"
    assert page.locator(".steps .step.done").count() == 5
    assert "八女煎茶 100g" in page.inner_text(".recommendations")
    assert "kuronekoyamato" in (page.get_attribute("a.carrier-link", "href") or "")
    shot(page, "feedback-tracking-ja")
    page.click("#lang-switch")
    page.wait_for_selector("text=Out for delivery")
    shot(page, "feedback-tracking-en")
    page.goto(f"{shop['base']}/t/{'A' * 43}")
    assert "not valid" in page.inner_text("h1")
    page.close()


def test_the_review_form_shows_the_disclosure(shop: dict, browser: Browser) -> None:
    page = browser.new_page(viewport=PHONE)
    page.goto(f"{shop['base']}/r/{shop['review']}?lang=ja")
    assert "【PR】" in page.inner_text("#review-disclosure")
    form = page.locator(".review-item[data-sku='BEAN-1'] form")
    form.locator("label[title='5']").click()
    form.locator("textarea[name=body]").fill("香りが良く、毎朝飲んでいます。")
    shot(page, "feedback-review-form-ja")
    form.locator("button[type=submit]").click()
    page.wait_for_selector(".thanks")
    assert "スタッフの確認後に掲載" in page.inner_text(".thanks")
    page.close()


def test_the_dashboard_pages(shop: dict, browser: Browser) -> None:
    base = shop["base"]
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    login(page, base)
    # the Feedback page draws NPS, CSAT, questions and ticket categories from its JSON twin
    page.goto(f"{base}/feedback")
    for chart in ("nps-trend", "csat-trend", "question-chart", "ticket-categories"):
        page.wait_for_selector(f"#{chart}[data-rendered=true]", timeout=10_000)
    assert "梱包がとても丁寧でした。" in page.inner_text(".comments")
    shot(page, "feedback-dashboard-ja")
    # the review written on the public form waits in the queue; approving empties it
    page.click("#nav-feedback")
    page.click(".feedback-tabs a[href='/reviews']")
    assert "【PR】" in page.inner_text(".review-card .disclosure")
    shot(page, "feedback-reviews-ja")
    page.click(".review-card button.approve")
    page.wait_for_selector("#queue-empty")
    # the ticket desk: flag the customer as a problem customer with a reason
    page.goto(f"{base}/tickets")
    assert page.locator("a.ticket-link").count() == 2
    shot(page, "feedback-tickets-ja")
    page.goto(f"{base}/tickets/{shop['ticket']}")
    page.fill("#flag-form input[name=reason]", "配達員への暴言")
    page.click("#flag")
    page.wait_for_selector("#problem-badge")
    assert "問題顧客に設定" in page.inner_text("#notes")
    shot(page, "feedback-ticket-ja")
    # returns and warranties reports
    page.goto(f"{base}/returns")
    page.wait_for_selector("#return-reasons[data-rendered=true]", timeout=10_000)
    page.click("button.step-receive")
    page.wait_for_selector("button.step-refund")
    shot(page, "feedback-returns-ja")
    page.goto(f"{base}/warranties")
    page.wait_for_selector("#warranty-revenue[data-rendered=true]", timeout=10_000)
    shot(page, "feedback-warranties-ja")
    page.click("#lang-switch")
    page.wait_for_selector("text=Extended warranties")
    page.close()
