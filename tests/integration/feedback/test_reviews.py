"""Reviews: moderation, the reward for writing one given once on approval, the incentive
disclosure shown with every incentivised review, and counts and averages per product."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.feedback.reviews import (
    ReviewIn,
    customer_reviews,
    do_moderate_review,
    do_submit_review,
    moderation_queue,
    product_ratings,
    product_reviews,
)
from kizuna.ingest.after_purchase import moderate_review, submit_review
from kizuna.kit.errors import Conflict, NotFound, ValidationFailed
from kizuna.loyalty.coupons import do_create_template
from kizuna.loyalty.models import Coupon

from .factories import T0, customer, ledger, name_product, order

DISCLOSURE_JA = "【PR】このレビューは、投稿特典（ポイント）を受け取ったお客様によるものです。"


def review(customer_id: int, rating: int = 5, sku: str = "BEAN-1", **fields: Any) -> ReviewIn:
    return ReviewIn(
        sku=sku,
        customer_id=customer_id,
        rating=rating,
        body=str(fields.pop("body", "香りが良い")),
        **fields,
    )


class TestRewardAndDisclosure:
    def test_an_approved_incentivised_review_is_rewarded_once_and_disclosed(
        self, session: Session
    ) -> None:
        # given a customer who bought the beans, offered points for a review
        taro = customer(session, "C1")
        order(session, "C1", "A-1")
        submitted = submit_review(session, review(taro), reward="points", at=T0)
        assert submitted.status == "pending"
        # when the review is approved, twice (two moderators, or a retry)
        first = moderate_review(session, submitted.review_id, approve=True, actor="mod", at=T0)
        again = moderate_review(session, submitted.review_id, approve=True, actor="mod", at=T0)
        # then the programme's 100 review points are granted once
        assert (first.points, first.reward_ref is not None) == (100, True)
        assert (again.review.changed, again.points, again.reward_ref) == (
            False,
            0,
            first.reward_ref,
        )
        assert ledger(session, taro) == [("earn", 100, "review")]
        # and the review is shown with the disclosure, as a verified purchase
        shown = product_reviews(session, "BEAN-1")["reviews"][0]
        assert shown["incentivised"] is True
        assert shown["disclosure"] == DISCLOSURE_JA
        assert shown["verified_purchase"] is True
        assert shown["rewarded"] is True
        english = product_reviews(session, "BEAN-1", language="en")["reviews"][0]
        assert english["disclosure"] == (
            "Incentivised review: the reviewer received points for writing it."
        )

    def test_the_disclosure_shows_even_before_the_reward_is_given(self, session: Session) -> None:
        taro = customer(session, "C1")
        order(session, "C1", "A-1")
        submit_review(session, review(taro, rating=1, body="苦すぎる"), reward="points")
        (queued,) = moderation_queue(session)
        assert (queued["rating"], queued["disclosure"]) == (1, DISCLOSURE_JA)

    def test_a_review_without_reward_has_no_disclosure_and_earns_nothing(
        self, session: Session
    ) -> None:
        taro = customer(session, "C1")
        order(session, "C1", "A-1")
        submitted = submit_review(session, review(taro), reward="none")
        outcome = moderate_review(session, submitted.review_id, approve=True, actor="mod")
        assert (outcome.points, outcome.reward_ref) == (0, None)
        shown = product_reviews(session, "BEAN-1")["reviews"][0]
        assert (shown["incentivised"], shown["disclosure"]) == (False, None)
        assert ledger(session, taro) == []

    def test_a_coupon_reward_is_issued_to_the_reviewer(self, session: Session) -> None:
        taro = customer(session, "C1")
        order(session, "C1", "A-1")
        do_create_template(
            session, "REVIEW500", "レビュー御礼 500円", {"kind": "amount", "value": 500}, actor="m"
        )
        submitted = submit_review(session, review(taro), reward="coupon")
        outcome = moderate_review(
            session, submitted.review_id, approve=True, actor="mod", coupon_template="REVIEW500"
        )
        assert outcome.reward_ref is not None and outcome.reward_ref.startswith("coupon:")
        code = outcome.reward_ref.removeprefix("coupon:")
        assert session.scalar(select(Coupon.customer_id).where(Coupon.code == code)) == taro
        shown = product_reviews(session, "BEAN-1", language="en")["reviews"][0]
        assert shown["disclosure"] == (
            "Incentivised review: the reviewer received a coupon for writing it."
        )

    def test_a_rejected_review_is_not_rewarded(self, session: Session) -> None:
        order(session, None, "G-1")
        taro = customer(session, "C1")
        submitted = submit_review(session, review(taro), reward="points")
        outcome = moderate_review(
            session, submitted.review_id, approve=False, actor="mod", reason="spam"
        )
        assert (outcome.review.status, outcome.points) == ("rejected", 0)
        assert ledger(session, taro) == []


class TestModeration:
    def test_a_rejection_needs_a_content_reason(self, session: Session) -> None:
        order(session, None, "G-1")
        taro = customer(session, "C1")
        submitted = do_submit_review(session, review(taro))
        with pytest.raises(ValidationFailed) as caught:
            do_moderate_review(
                session, submitted.review_id, approve=False, actor="mod", reason="low_rating"
            )
        assert caught.value.field == "reason"

    def test_the_queue_is_oldest_first_with_product_names(self, session: Session) -> None:
        order(session, None, "G-1")
        name_product(session, "CUP-1", "有田焼マグカップ")
        taro, hanako = customer(session, "C1"), customer(session, "C2")
        do_submit_review(session, review(taro, sku="CUP-1"), at=T0)
        do_submit_review(session, review(hanako, sku="BEAN-1", rating=3))
        queue = moderation_queue(session)
        assert [(q["sku"], q["customer_id"]) for q in queue] == [
            ("CUP-1", taro),
            ("BEAN-1", hanako),
        ]
        assert queue[0]["product_name"] == "有田焼マグカップ"
        assert queue[1]["verified_purchase"] is False

    def test_approved_can_be_taken_down(self, session: Session) -> None:
        order(session, None, "G-1")
        taro = customer(session, "C1")
        rid = do_submit_review(session, review(taro)).review_id
        do_moderate_review(session, rid, approve=True, actor="mod")
        down = do_moderate_review(
            session,
            rid,
            approve=False,
            actor="mod",
            reason="personal_information",
            note="電話番号が書かれていた",
        )
        assert (down.status, down.changed) == ("rejected", True)
        assert product_ratings(session, ["BEAN-1"])["BEAN-1"]["count"] == 0
        assert customer_reviews(session, taro)[0]["rejection_reason"] == "personal_information"


class TestRatings:
    def test_count_and_average_over_approved_reviews_only(self, session: Session) -> None:
        order(session, None, "G-1")
        people = [customer(session, f"C{i}") for i in range(4)]
        for who, rating in zip(people, [5, 4, 2, 1], strict=True):
            rid = do_submit_review(session, review(who, rating=rating)).review_id
            if rating != 1:
                do_moderate_review(session, rid, approve=True, actor="mod")
        ratings = product_ratings(session, ["BEAN-1", "CUP-1"])
        assert ratings == {
            "BEAN-1": {
                "count": 3,
                "average": 3.67,
                "distribution": {"1": 0, "2": 1, "3": 0, "4": 1, "5": 1},
            },
            "CUP-1": {
                "count": 0,
                "average": None,
                "distribution": {"1": 0, "2": 0, "3": 0, "4": 0, "5": 0},
            },
        }
        page = product_reviews(session, "BEAN-1", limit=2)
        assert (page["count"], page["average"], len(page["reviews"])) == (3, 3.67, 2)


class TestBadInput:
    @pytest.mark.parametrize("rating", [0, 6, -1], ids=["zero", "six", "negative"])
    def test_rating_out_of_range(self, session: Session, rating: int) -> None:
        order(session, None, "G-1")
        taro = customer(session, "C1")
        with pytest.raises(ValidationFailed, match="out of range 1–5") as caught:
            submit_review(session, review(taro, rating=rating))
        assert caught.value.field == "rating"

    def test_unknown_product_and_customer(self, session: Session) -> None:
        order(session, None, "G-1")
        taro = customer(session, "C1")
        with pytest.raises(NotFound) as caught:
            submit_review(session, review(taro, sku="NOPE"))
        assert caught.value.field == "sku"
        with pytest.raises(NotFound) as caught:
            submit_review(session, review(999_999))
        assert caught.value.field == "customer_id"

    def test_one_review_per_customer_and_product(self, session: Session) -> None:
        order(session, None, "G-1")
        taro = customer(session, "C1")
        first = submit_review(session, review(taro))
        repeat = submit_review(session, review(taro))
        assert (repeat.review_id, repeat.created) == (first.review_id, False)
        with pytest.raises(Conflict) as caught:
            submit_review(session, review(taro, rating=2, body="やっぱり微妙"))
        assert caught.value.field == "sku"

    def test_a_purchase_can_be_required(self, session: Session) -> None:
        order(session, None, "G-1")
        taro = customer(session, "C1")
        with pytest.raises(ValidationFailed) as caught:
            submit_review(session, review(taro), require_purchase=True)
        assert caught.value.field == "sku"


def test_an_unknown_reward_kind_is_refused(session: Session) -> None:
    order(session, None, "G-1")
    taro = customer(session, "C1")
    with pytest.raises(ValidationFailed) as caught:
        submit_review(session, review(taro), reward="cash")
    assert caught.value.field == "reward"
