"""The public after-purchase pages over a real app on SQLite and PostgreSQL: the survey form
grants points once, the review form shows the incentive disclosure, the tracking page refuses
guessed tokens, and the return form records a request; bad input re-shows the form."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from kizuna.feedback.models import Review
from kizuna.feedback.surveys import do_set_survey_status
from kizuna.ingest.after_purchase import shipment_status, survey_invitation
from kizuna.ingest.feedback_links import return_invitation, review_invitation
from kizuna.kit.db import session_scope
from kizuna.orders.aftersales_models import ReturnRequest
from kizuna.orders.tracking import tracking_token

from .factories import T0, customer, ledger, nps_survey, order


def shop(sessions: sessionmaker[Session]) -> dict:
    """A customer with one order, the NPS survey and a parcel on its way; the links."""
    with session_scope(sessions) as session:
        taro = customer(session, "C1", prefecture="東京都")
        order_id = order(session, "C1", "A-1")
        nps_survey(session)
        for status, hours in (("荷物受付", 1), ("輸送中", 20)):
            body = {
                "carrier": "yamato",
                "tracking_number": "4290-1111-2222",
                "order_number": "A-1",
                "status": status,
                "at": T0 + timedelta(hours=hours),
            }
            shipment_status(session, body)
        return {
            "customer": taro,
            "order": order_id,
            "survey": survey_invitation("after-delivery", taro, order_id),
            "review": review_invitation(taro, order_id),
            "return": return_invitation(order_id),
            "tracking": tracking_token(session, order_id),
        }


class TestSurveyForm:
    def test_the_form_grants_points_once(
        self, app_client: TestClient, app_sessions: sessionmaker[Session]
    ) -> None:
        links = shop(app_sessions)
        form = app_client.get(f"/s/{links['survey']}")
        assert form.status_code == 200
        assert "友人にすすめますか？" in form.text and "ご注文 A-1 について" in form.text
        answers = {"answers.nps": "9", "answers.packing": "5", "answers.comment": "速い！"}
        first = app_client.post(f"/s/{links['survey']}", data=answers)
        assert first.status_code == 200
        assert "50ポイントを付与しました。" in first.text
        again = app_client.post(f"/s/{links['survey']}", data=answers)
        assert "回答済み" in again.text and "ポイントを付与" not in again.text
        assert "回答済み" in app_client.get(f"/s/{links['survey']}").text
        with session_scope(app_sessions) as session:
            assert ledger(session, links["customer"]) == [("earn", 50, "survey")]

    def test_bad_answers_show_the_form_again_naming_the_question(
        self, app_client: TestClient, app_sessions: sessionmaker[Session]
    ) -> None:
        links = shop(app_sessions)
        empty = app_client.post(f"/s/{links['survey']}", data={})
        assert empty.status_code == 422
        assert 'data-field="answers"' in empty.text
        out_of_range = app_client.post(f"/s/{links['survey']}", data={"answers.nps": "11"})
        assert out_of_range.status_code == 422
        assert 'data-field="answers.nps"' in out_of_range.text

    def test_english_and_an_altered_link(
        self, app_client: TestClient, app_sessions: sessionmaker[Session]
    ) -> None:
        links = shop(app_sessions)
        english = app_client.get(f"/s/{links['survey']}?lang=en")
        assert "Would you recommend us to a friend?" in english.text
        altered = links["survey"][:-2] + ("AA" if links["survey"][-2:] != "AA" else "BB")
        refused = app_client.get(f"/s/{altered}")
        assert refused.status_code == 422
        assert "This link is not valid" in refused.text

    def test_a_closed_survey_takes_no_answers(
        self, app_client: TestClient, app_sessions: sessionmaker[Session]
    ) -> None:
        links = shop(app_sessions)
        with session_scope(app_sessions) as session:
            do_set_survey_status(session, "after-delivery", "closed")
        assert "終了しました" in app_client.get(f"/s/{links['survey']}").text
        refused = app_client.post(f"/s/{links['survey']}", data={"answers.nps": "9"})
        assert refused.status_code == 409 and 'data-field="survey"' in refused.text
        with session_scope(app_sessions) as session:
            assert ledger(session, links["customer"]) == []


class TestReviewForm:
    def test_the_form_discloses_the_incentive_and_stores_a_pending_review(
        self, app_client: TestClient, app_sessions: sessionmaker[Session]
    ) -> None:
        links = shop(app_sessions)
        form = app_client.get(f"/r/{links['review']}")
        assert form.status_code == 200
        assert (
            "【PR】このレビューは、投稿特典（ポイント）を受け取ったお客様によるものです。"
            in form.text
        )
        assert form.text.count('class="review-form"') == 2
        posted = app_client.post(
            f"/r/{links['review']}", data={"sku": "BEAN-1", "rating": "4", "body": "香りが良い"}
        )
        assert posted.status_code == 200 and "スタッフの確認後に掲載" in posted.text
        with session_scope(app_sessions) as session:
            review = session.scalars(select(Review)).one()
            assert (review.rating, review.status, review.incentive) == (4, "pending", "points")
        assert app_client.get(f"/r/{links['review']}").text.count('class="review-form"') == 1

    def test_a_missing_rating_or_a_foreign_product_is_refused(
        self, app_client: TestClient, app_sessions: sessionmaker[Session]
    ) -> None:
        links = shop(app_sessions)
        no_rating = app_client.post(f"/r/{links['review']}", data={"sku": "BEAN-1", "body": "x"})
        assert no_rating.status_code == 422 and 'data-field="rating"' in no_rating.text
        foreign = app_client.post(
            f"/r/{links['review']}", data={"sku": "OTHER", "rating": "5", "body": "x"}
        )
        assert foreign.status_code == 422 and 'data-field="sku"' in foreign.text


class TestTrackingPage:
    def test_the_page_shows_status_steps_carrier_link_and_no_personal_data(
        self, app_client: TestClient, app_sessions: sessionmaker[Session]
    ) -> None:
        links = shop(app_sessions)
        page = app_client.get(f"/t/{links['tracking']}")
        assert page.status_code == 200
        assert "輸送中" in page.text and "A-1" in page.text
        assert "toi.kuronekoyamato.co.jp" in page.text
        assert "山田" not in page.text and "東京都" not in page.text
        data = app_client.get(f"/t/{links['tracking']}.json?lang=en").json()
        assert data["status"] == "in_transit"
        assert data["shipments"][0]["carrier_url"].endswith("4290-1111-2222")

    def test_guessed_tokens_are_refused(
        self, app_client: TestClient, app_sessions: sessionmaker[Session]
    ) -> None:
        shop(app_sessions)
        for guess in ("A" * 43, "A-1", "1"):
            refused = app_client.get(f"/t/{guess}")
            assert refused.status_code == 404
            assert "このリンクは無効です" in refused.text


class TestReturnForm:
    def test_a_partial_return_is_requested_with_its_refund(
        self, app_client: TestClient, app_sessions: sessionmaker[Session]
    ) -> None:
        links = shop(app_sessions)
        form = app_client.get(f"/return/{links['return']}")
        assert form.status_code == 200 and 'name="qty.1"' in form.text
        posted = app_client.post(
            f"/return/{links['return']}",
            data={"qty.1": "1", "qty.2": "0", "reason": "damaged", "channel": "courier_pickup"},
        )
        assert posted.status_code == 200
        assert "RR-A-1-1" in posted.text and "¥1,800" in posted.text
        with session_scope(app_sessions) as session:
            request = session.scalars(select(ReturnRequest)).one()
            assert (request.reason, request.refund_amount) == ("damaged", 1800)

    def test_bad_input_names_the_field(
        self, app_client: TestClient, app_sessions: sessionmaker[Session]
    ) -> None:
        links = shop(app_sessions)
        nothing = app_client.post(
            f"/return/{links['return']}", data={"reason": "damaged", "channel": "store"}
        )
        assert nothing.status_code == 422 and 'data-field="lines"' in nothing.text
        too_many = app_client.post(
            f"/return/{links['return']}",
            data={"qty.1": "3", "reason": "damaged", "channel": "store"},
        )
        assert too_many.status_code == 422 and 'data-field="lines[0].quantity"' in too_many.text
        other = app_client.post(
            f"/return/{links['return']}", data={"qty.1": "1", "reason": "other", "channel": "store"}
        )
        assert other.status_code == 422 and 'data-field="note"' in other.text
