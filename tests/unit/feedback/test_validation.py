"""Survey definitions and reviews are checked before anything is stored; each error names the
field that is wrong."""

from __future__ import annotations

import pytest

from kizuna.feedback.reviews import ReviewIn, disclosure, validate_review
from kizuna.feedback.surveys import QuestionIn, SurveyIn, validate_survey
from kizuna.kit.errors import KizunaError, ValidationFailed

NPS = QuestionIn("nps", "nps", "おすすめしますか？", "Would you recommend us?")
COMMENT = QuestionIn("comment", "text", "ご意見", "Comments", required=False)


def survey(**changes: object) -> SurveyIn:
    fields: dict = {
        "code": "after-delivery",
        "kind": "nps",
        "title_ja": "お買い物アンケート",
        "title_en": "Shopping survey",
        "questions": (NPS, COMMENT),
    }
    return SurveyIn(**(fields | changes))


class TestValidateSurvey:
    def test_a_good_survey_passes(self) -> None:
        validate_survey(survey())

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            pytest.param({"questions": ()}, "questions", id="empty_survey"),
            pytest.param({"kind": "poll"}, "kind", id="unknown_kind"),
            pytest.param({"code": " "}, "code", id="no_code"),
            pytest.param({"title_en": ""}, "title", id="no_english_title"),
            pytest.param({"status": "live"}, "status", id="unknown_status"),
            pytest.param({"questions": (COMMENT,)}, "questions", id="nps_survey_without_nps"),
            pytest.param({"questions": (NPS, NPS)}, "questions[1].code", id="repeated_code"),
            pytest.param(
                {"kind": "custom", "questions": (QuestionIn("q", "slider", "a", "b"),)},
                "questions[0].kind",
                id="unknown_question_kind",
            ),
            pytest.param(
                {"kind": "custom", "questions": (QuestionIn("q", "text", "質問", ""),)},
                "questions[0].text",
                id="question_without_english",
            ),
            pytest.param(
                {
                    "kind": "custom",
                    "questions": (QuestionIn("q", "choice", "a", "b", choices=(("x", "X", "X"),)),),
                },
                "questions[0].choices",
                id="choice_with_one_choice",
            ),
        ],
    )
    def test_bad_definitions_name_the_field(self, changes: dict, field: str) -> None:
        with pytest.raises(ValidationFailed) as caught:
            validate_survey(survey(**changes))
        assert caught.value.field == field
        assert caught.value.to_dict()["code"] == "validation_failed"


class TestValidateReview:
    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            pytest.param({"rating": 0}, "rating", id="rating_0"),
            pytest.param({"rating": 6}, "rating", id="rating_6"),
            pytest.param({"rating": "5"}, "rating", id="rating_text"),
            pytest.param({"rating": True}, "rating", id="rating_bool"),
            pytest.param({"body": "   "}, "body", id="empty_text"),
            pytest.param({"body": "あ" * 4001}, "body", id="text_too_long"),
            pytest.param({"title": "t" * 201}, "title", id="title_too_long"),
            pytest.param({"incentive": "cash"}, "incentive", id="unknown_incentive"),
        ],
    )
    def test_bad_reviews_name_the_field(self, changes: dict, field: str) -> None:
        fields: dict = {"sku": "BEAN-1", "customer_id": 1, "rating": 4, "body": "美味しい"}
        with pytest.raises(KizunaError) as caught:
            validate_review(ReviewIn(**(fields | changes)))
        assert caught.value.field == field
        assert caught.value.http_status == 422

    def test_out_of_range_message_says_the_range(self) -> None:
        with pytest.raises(ValidationFailed, match="out of range 1–5"):
            validate_review(ReviewIn("BEAN-1", 1, 9, "text"))


class TestDisclosure:
    def test_incentivised_reviews_carry_the_text_in_both_languages(self) -> None:
        assert disclosure("points", "ja") == (
            "【PR】このレビューは、投稿特典（ポイント）を受け取ったお客様によるものです。"
        )
        assert disclosure("coupon", "en") == (
            "Incentivised review: the reviewer received a coupon for writing it."
        )

    def test_a_review_without_incentive_has_none(self) -> None:
        assert disclosure(None) is None
