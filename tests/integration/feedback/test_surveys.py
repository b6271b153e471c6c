"""Surveys: answers stored once per (survey, customer, subject), points for answering granted
exactly once, reports of satisfied and dissatisfied answers, and clear errors."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from kizuna.feedback.models import SurveyAnswer, SurveyResponse
from kizuna.feedback.survey_reports import (
    customer_responses,
    customer_scores,
    latest_comments,
    nps_trend,
    question_report,
)
from kizuna.feedback.surveys import (
    QuestionIn,
    SurveyIn,
    do_create_survey,
    do_set_survey_status,
    survey_form,
)
from kizuna.ingest.after_purchase import answer_survey, read_survey_invitation, survey_invitation
from kizuna.kit.db import session_scope
from kizuna.kit.errors import Conflict, NotFound, ValidationFailed

from .factories import NPS_SURVEY, T0, customer, ledger, nps_survey, order


class TestDefinition:
    def test_the_form_is_shown_in_japanese_and_english(self, session: Session) -> None:
        nps_survey(session)
        ja = survey_form(session, "after-delivery", "ja")
        en = survey_form(session, "after-delivery", "en")
        assert ja["title"] == "お買い物アンケート"
        assert en["title"] == "Shopping survey"
        assert [q["code"] for q in ja["questions"]] == ["nps", "packing", "found", "comment"]
        assert ja["questions"][0] == {
            "code": "nps",
            "kind": "nps",
            "text": "友人にすすめますか？",
            "required": True,
            "range": [0, 10],
            "choices": [],
        }
        assert en["questions"][2]["choices"] == [
            {"value": "sns", "label": "Social media"},
            {"value": "friend", "label": "A friend"},
        ]

    def test_an_empty_survey_is_refused(self, session: Session) -> None:
        empty = SurveyIn("empty", "custom", "空", "Empty", questions=())
        with pytest.raises(ValidationFailed) as caught:
            do_create_survey(session, empty, actor="m")
        assert (caught.value.field, caught.value.message) == (
            "questions",
            "a survey needs at least one question",
        )

    def test_a_taken_code_is_a_conflict(self, session: Session) -> None:
        nps_survey(session)
        with pytest.raises(Conflict) as caught:
            do_create_survey(session, NPS_SURVEY, actor="m")
        assert caught.value.field == "code"


class TestAnsweringRewardsOnce:
    def test_the_same_answer_submitted_twice_stores_one_response_and_grants_once(
        self, session: Session
    ) -> None:
        # given a member who bought something and the after-delivery survey
        taro = customer(session, "C1")
        order_id = order(session, "C1", "A-1")
        nps_survey(session)
        answers: dict[str, int | str | None] = {
            "nps": 9,
            "packing": 4,
            "comment": "丁寧な梱包でした",
        }
        # when the form is submitted twice (a double click)
        first = answer_survey(session, "after-delivery", taro, answers, order_id=order_id, at=T0)
        again = answer_survey(session, "after-delivery", taro, answers, order_id=order_id, at=T0)
        # then one response, and the programme's 50 survey points exactly once
        assert first.response.created is True
        assert (first.points, first.replayed) == (50, False)
        assert again.response.created is False
        assert again.response.response_id == first.response.response_id
        assert (again.points, again.replayed, again.entry_id) == (50, True, first.entry_id)
        assert ledger(session, taro) == [("earn", 50, "survey")]
        assert session.scalar(select(func.count()).select_from(SurveyResponse)) == 1
        assert session.scalar(select(func.count()).select_from(SurveyAnswer)) == 3

    def test_a_second_submission_with_other_answers_keeps_the_first(self, session: Session) -> None:
        taro = customer(session, "C1")
        nps_survey(session)
        answer_survey(session, "after-delivery", taro, {"nps": 3}, at=T0)
        later = answer_survey(session, "after-delivery", taro, {"nps": 10}, at=T0)
        assert later.response.created is False
        assert customer_scores(session)[taro][0] == 3
        assert ledger(session, taro) == [("earn", 50, "survey")]

    def test_the_same_survey_about_another_order_is_a_new_response(self, session: Session) -> None:
        taro = customer(session, "C1")
        first, second = order(session, "C1", "A-1"), order(session, "C1", "A-2")
        nps_survey(session)
        answer_survey(session, "after-delivery", taro, {"nps": 9}, order_id=first, at=T0)
        answer_survey(session, "after-delivery", taro, {"nps": 7}, order_id=second, at=T0)
        assert ledger(session, taro) == [("earn", 50, "survey"), ("earn", 50, "survey")]


class TestBadAnswers:
    @pytest.mark.parametrize(
        ("answers", "field", "message"),
        [
            pytest.param({}, "answers", "the answers are empty", id="empty"),
            pytest.param(
                {"nps": "", "comment": " "}, "answers", "the answers are empty", id="blank"
            ),
            pytest.param({"nps": 11}, "answers.nps", "out of range 0–10", id="nps_11"),
            pytest.param({"nps": -1}, "answers.nps", "out of range 0–10", id="nps_negative"),
            pytest.param({"nps": "とても"}, "answers.nps", "not a whole number", id="nps_text"),
            pytest.param(
                {"nps": 8, "packing": 0}, "answers.packing", "out of range 1–5", id="csat_0"
            ),
            pytest.param(
                {"nps": 8, "found": "tv"},
                "answers.found",
                "not one of sns, friend",
                id="unknown_choice",
            ),
            pytest.param(
                {"comment": "良い"}, "answers.nps", "must be answered", id="required_missing"
            ),
            pytest.param(
                {"nps": 8, "colour": "red"}, "answers.colour", "no question", id="unknown_question"
            ),
        ],
    )
    def test_each_error_names_the_field(
        self, session: Session, answers: dict, field: str, message: str
    ) -> None:
        taro = customer(session, "C1")
        nps_survey(session)
        with pytest.raises(ValidationFailed, match=message) as caught:
            answer_survey(session, "after-delivery", taro, answers)
        assert caught.value.field == field
        assert ledger(session, taro) == []

    def test_a_form_value_in_text_is_read_as_a_score(self, session: Session) -> None:
        taro = customer(session, "C1")
        nps_survey(session)
        answer_survey(session, "after-delivery", taro, {"nps": " 10 "})
        assert customer_scores(session)[taro][0] == 10

    def test_unknown_survey_customer_and_order(self, session: Session) -> None:
        taro = customer(session, "C1")
        nps_survey(session)
        with pytest.raises(NotFound) as caught:
            answer_survey(session, "no-such-survey", taro, {"nps": 9})
        assert caught.value.field == "survey"
        with pytest.raises(NotFound) as caught:
            answer_survey(session, "after-delivery", 999_999, {"nps": 9})
        assert caught.value.field == "customer_id"
        with pytest.raises(NotFound) as caught:
            answer_survey(session, "after-delivery", taro, {"nps": 9}, order_id=999_999)
        assert caught.value.field == "order_id"

    def test_someone_elses_order_is_refused(self, session: Session) -> None:
        customer(session, "C1")
        hanako = customer(session, "C2")
        theirs = order(session, "C1", "A-1")
        nps_survey(session)
        with pytest.raises(ValidationFailed) as caught:
            answer_survey(session, "after-delivery", hanako, {"nps": 9}, order_id=theirs)
        assert caught.value.field == "order_id"

    def test_a_closed_survey_takes_no_answers(self, session: Session) -> None:
        taro = customer(session, "C1")
        nps_survey(session)
        do_set_survey_status(session, "after-delivery", "closed")
        with pytest.raises(Conflict) as caught:
            answer_survey(session, "after-delivery", taro, {"nps": 9})
        assert caught.value.field == "survey"


class TestReports:
    @pytest.fixture
    def answered(self, session: Session) -> list[int]:
        nps_survey(session)
        people = [customer(session, f"C{i}") for i in range(5)]
        given: list[tuple[dict[str, int | str | None], datetime]] = [
            ({"nps": 10, "packing": 5, "found": "sns", "comment": "また買います"}, T0),
            ({"nps": 9, "packing": 4, "found": "sns"}, T0 + timedelta(days=1)),
            ({"nps": 7, "packing": 3, "comment": "普通でした"}, T0 + timedelta(days=2)),
            (
                {"nps": 2, "packing": 1, "found": "friend", "comment": "箱が潰れていた"},
                T0 + timedelta(days=3),
            ),
            ({"nps": 6, "comment": "届くのが遅い"}, T0 + timedelta(days=40)),
        ]
        for who, (answers, at) in zip(people, given, strict=True):
            answer_survey(session, "after-delivery", who, answers, at=at)
        return people

    def test_satisfied_and_dissatisfied_per_question(
        self, session: Session, answered: list[int]
    ) -> None:
        report = question_report(session, "after-delivery", language="en")
        assert report["responses"] == 5
        nps, packing, found, comment = report["questions"]
        assert nps["summary"]["satisfied"] == 2
        assert nps["summary"]["neutral"] == 1
        assert nps["summary"]["dissatisfied"] == 2
        assert nps["summary"]["score"] == 0.0
        assert packing["text"] == "How satisfied were you with the packing?"
        assert (packing["answered"], packing["summary"]["score"]) == (4, 50.0)
        assert packing["summary"]["dissatisfied_share"] == 25.0
        assert found["choices"] == [
            {"value": "sns", "label": "Social media", "count": 2},
            {"value": "friend", "label": "A friend", "count": 1},
        ]
        assert comment["comments_by_sentiment"] == {
            "dissatisfied": 2,
            "neutral": 1,
            "satisfied": 1,
        }

    def test_the_window_limits_the_report(self, session: Session, answered: list[int]) -> None:
        report = question_report(session, "after-delivery", since=T0 + timedelta(days=30))
        assert report["responses"] == 1

    def test_nps_trend_by_month_in_shop_time(self, session: Session, answered: list[int]) -> None:
        assert nps_trend(session, "after-delivery") == [
            {
                "month": "2026-05",
                "answers": 4,
                "promoters": 2,
                "passives": 1,
                "detractors": 1,
                "nps": 25.0,
            },
            {
                "month": "2026-06",
                "answers": 1,
                "promoters": 0,
                "passives": 0,
                "detractors": 1,
                "nps": -100.0,
            },
        ]

    def test_latest_comments_newest_first_and_by_mood(
        self, session: Session, answered: list[int]
    ) -> None:
        newest = latest_comments(session, "after-delivery", limit=2)
        assert [(c["text"], c["score"], c["sentiment"]) for c in newest] == [
            ("届くのが遅い", 6, "dissatisfied"),
            ("箱が潰れていた", 2, "dissatisfied"),
        ]
        happy = latest_comments(session, mood="satisfied")
        assert [c["text"] for c in happy] == ["また買います"]
        assert happy[0]["customer_id"] == answered[0]

    def test_each_customers_latest_score_for_segments(
        self, session: Session, answered: list[int]
    ) -> None:
        scores = customer_scores(session, "nps")
        assert {cid: s for cid, (s, _) in scores.items()} == dict(
            zip(answered, [10, 9, 7, 2, 6], strict=True)
        )
        assert customer_scores(session, "csat")[answered[3]][0] == 1

    def test_a_customers_responses_for_the_timeline(
        self, session: Session, answered: list[int]
    ) -> None:
        (only,) = customer_responses(session, answered[3])
        assert only["survey"] == "after-delivery"
        assert only["answers"] == {
            "nps": 2,
            "packing": 1,
            "found": "friend",
            "comment": "箱が潰れていた",
        }


class TestInvitation:
    def test_the_signed_link_round_trips(self) -> None:
        token = survey_invitation("after-delivery", 42, 7)
        assert read_survey_invitation(token) == ("after-delivery", 42, 7)
        assert read_survey_invitation(survey_invitation("nps", 1)) == ("nps", 1, None)

    def test_an_altered_link_is_refused(self) -> None:
        token = survey_invitation("after-delivery", 42, 7)
        with pytest.raises(ValidationFailed) as caught:
            read_survey_invitation(token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1])
        assert (caught.value.field, caught.value.code) == ("token", "bad_token")


def test_choice_questions_need_known_values_even_when_optional(session: Session) -> None:
    taro = customer(session, "C1")
    do_create_survey(
        session,
        SurveyIn(
            "poll",
            "custom",
            "投票",
            "Poll",
            (
                QuestionIn(
                    "pick", "choice", "どれ", "Which", choices=(("a", "A", "A"), ("b", "B", "B"))
                ),
            ),
        ),
        actor="m",
    )
    with pytest.raises(ValidationFailed) as caught:
        answer_survey(session, "poll", taro, {"pick": "c"})
    assert caught.value.field == "answers.pick"


def test_two_submissions_at_once_store_one_response_and_one_grant(
    sessions: sessionmaker[Session],
) -> None:
    # given a customer and the survey, committed
    with session_scope(sessions) as s:
        taro = customer(s, "C1")
        nps_survey(s)
    barrier = threading.Barrier(2)
    outcomes: list[bool] = []
    errors: list[BaseException] = []

    def submit() -> None:
        try:
            barrier.wait()
            with session_scope(sessions) as s:
                result = answer_survey(s, "after-delivery", taro, {"nps": 9}, at=T0)
                outcomes.append(result.response.created)
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    # when the same answer arrives twice at the same moment (two tabs, a retried request)
    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    # then one response is created, the other finds it, and the points are granted once
    assert errors == []
    assert sorted(outcomes) == [False, True]
    with session_scope(sessions) as s:
        assert ledger(s, taro) == [("earn", 50, "survey")]
        assert s.scalar(select(func.count()).select_from(SurveyResponse)) == 1
