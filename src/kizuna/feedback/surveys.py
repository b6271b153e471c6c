"""Surveys: define a questionnaire (ja and en), show it in one language, store a customer's
answers once.

A response is unique per (survey, customer, subject), where the subject is the order asked
about (``order:<id>``) or nothing (``-``). Submitting the same survey again for the same subject
(a double click, a retry, the link opened twice) stores nothing new and returns the first
response with ``created=False``; the first answers stand. This is what makes the answering
reward exactly-once (``ingest.after_purchase`` keys the points on the response). Touches only the
survey tables; grants no points.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.customers.service import get_customer
from kizuna.feedback.models import (
    QUESTION_KINDS,
    SURVEY_KINDS,
    SURVEY_STATUSES,
    Survey,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
)
from kizuna.feedback.scoring import RANGES, SCORED, in_range
from kizuna.kit.clock import now
from kizuna.kit.errors import Conflict, NotFound, ValidationFailed
from kizuna.kit.locking import lock_key
from kizuna.orders.models import Order

Answer = int | str | None


@dataclass(frozen=True, slots=True)
class QuestionIn:
    """One question; ``choices`` are ``(value, ja, en)`` for a ``choice`` question."""

    code: str
    kind: str
    text_ja: str
    text_en: str
    required: bool = True
    choices: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class SurveyIn:
    """A questionnaire: ``kind`` is ``nps`` or ``csat`` (then it asks that question) or
    ``custom``."""

    code: str
    kind: str
    title_ja: str
    title_en: str
    questions: tuple[QuestionIn, ...]
    status: str = "active"


@dataclass(frozen=True, slots=True)
class SubmitResult:
    """The stored response; ``created`` is False when this was a repeat submission."""

    response_id: int
    survey_id: int
    customer_id: int
    subject: str
    created: bool


def validate_survey(item: SurveyIn) -> None:
    """ValidationFailed naming the first field that is wrong; nothing when all is well."""
    if not item.code.strip():
        raise ValidationFailed("a survey needs a code", field="code")
    if item.kind not in SURVEY_KINDS:
        raise ValidationFailed(
            f"kind {item.kind!r} is not one of {', '.join(SURVEY_KINDS)}", field="kind"
        )
    if item.status not in SURVEY_STATUSES:
        raise ValidationFailed(
            f"status {item.status!r} is not one of {', '.join(SURVEY_STATUSES)}", field="status"
        )
    if not item.title_ja.strip() or not item.title_en.strip():
        raise ValidationFailed("a survey needs a title in ja and en", field="title")
    if not item.questions:
        raise ValidationFailed("a survey needs at least one question", field="questions")
    seen: set[str] = set()
    for i, q in enumerate(item.questions):
        where = f"questions[{i}]"
        if not q.code.strip() or q.code in seen:
            raise ValidationFailed(
                f"question code {q.code!r} is empty or repeated", field=f"{where}.code"
            )
        seen.add(q.code)
        if q.kind not in QUESTION_KINDS:
            raise ValidationFailed(
                f"question kind {q.kind!r} is not one of {', '.join(QUESTION_KINDS)}",
                field=f"{where}.kind",
            )
        if not q.text_ja.strip() or not q.text_en.strip():
            raise ValidationFailed("a question needs its text in ja and en", field=f"{where}.text")
        if q.kind == "choice" and len(q.choices) < 2:
            raise ValidationFailed(
                "a choice question needs at least two choices", field=f"{where}.choices"
            )
    if item.kind != "custom" and not any(q.kind == item.kind for q in item.questions):
        raise ValidationFailed(
            f"an {item.kind} survey needs an {item.kind} question", field="questions"
        )


def do_create_survey(session: Session, item: SurveyIn, *, actor: str) -> Survey:
    """Store a new survey with its questions; ``Conflict`` when the code is taken."""
    validate_survey(item)
    if session.scalar(select(Survey.id).where(Survey.code == item.code)) is not None:
        raise Conflict(f"survey {item.code!r} already exists", field="code")
    survey = Survey(
        code=item.code,
        kind=item.kind,
        title_ja=item.title_ja,
        title_en=item.title_en,
        status=item.status,
        created_by=actor,
    )
    session.add(survey)
    session.flush()
    session.add_all(
        SurveyQuestion(
            survey_id=survey.id,
            position=i,
            code=q.code,
            kind=q.kind,
            text_ja=q.text_ja,
            text_en=q.text_en,
            required=q.required,
            choices=[{"value": v, "ja": ja, "en": en} for v, ja, en in q.choices] or None,
        )
        for i, q in enumerate(item.questions, start=1)
    )
    session.flush()
    return survey


def do_set_survey_status(session: Session, code: str, status: str) -> Survey:
    """Open (``active``), pause (``draft``) or close a survey."""
    if status not in SURVEY_STATUSES:
        raise ValidationFailed(
            f"status {status!r} is not one of {', '.join(SURVEY_STATUSES)}", field="status"
        )
    survey = get_survey(session, code)
    survey.status = status
    return survey


def get_survey(session: Session, code: str) -> Survey:
    """The survey with ``code``, or NotFound."""
    survey = session.scalar(select(Survey).where(Survey.code == code))
    if survey is None:
        raise NotFound(f"there is no survey {code!r}", field="survey")
    return survey


def questions_of(session: Session, survey_id: int) -> list[SurveyQuestion]:
    """The survey's questions in order."""
    query = select(SurveyQuestion).where(SurveyQuestion.survey_id == survey_id)
    return list(session.scalars(query.order_by(SurveyQuestion.position)))


def survey_form(session: Session, code: str, language: str = "ja") -> dict:
    """The survey as the public form shows it, in ``language`` (ja or en)."""
    survey = get_survey(session, code)
    lang = "en" if language == "en" else "ja"
    return {
        "code": survey.code,
        "kind": survey.kind,
        "status": survey.status,
        "language": lang,
        "title": survey.title_en if lang == "en" else survey.title_ja,
        "questions": [
            {
                "code": q.code,
                "kind": q.kind,
                "text": q.text_en if lang == "en" else q.text_ja,
                "required": q.required,
                "range": list(RANGES[q.kind]) if q.kind in RANGES else None,
                "choices": [{"value": c["value"], "label": c[lang]} for c in q.choices or []],
            }
            for q in questions_of(session, survey.id)
        ],
    }


def _parse(q: SurveyQuestion, value: Answer) -> tuple[int | None, str | None, str | None]:
    """``(score, text, choice)`` of one answer; ValidationFailed names ``answers.<code>``."""
    where = f"answers.{q.code}"
    if q.kind in SCORED:
        try:
            score = int(str(value).strip())
        except ValueError:
            raise ValidationFailed(f"{value!r} is not a whole number", field=where) from None
        if not in_range(q.kind, score):
            low, high = RANGES[q.kind]
            raise ValidationFailed(f"{q.code}: {value!r} is out of range {low}–{high}", field=where)
        return score, None, None
    text = str(value).strip()
    if q.kind == "choice":
        allowed = [c["value"] for c in q.choices or []]
        if text not in allowed:
            raise ValidationFailed(
                f"{q.code}: {text!r} is not one of {', '.join(allowed)}", field=where
            )
        return None, None, text
    if len(text) > 4000:
        raise ValidationFailed(f"{q.code}: at most 4000 characters", field=where)
    return None, text, None


def _answers(questions: Sequence[SurveyQuestion], given: Mapping[str, Answer]) -> list[tuple]:
    """``(question, score, text, choice)`` for each answered question, all checked."""
    by_code = {q.code: q for q in questions}
    unknown = sorted(set(given) - set(by_code))
    if unknown:
        raise ValidationFailed(
            f"the survey has no question {unknown[0]!r}", field=f"answers.{unknown[0]}"
        )
    answered = {k: v for k, v in given.items() if v is not None and str(v).strip() != ""}
    if not answered:
        raise ValidationFailed(
            "the answers are empty: answer at least one question", field="answers"
        )
    out = []
    for q in questions:
        if q.code not in answered:
            if q.required:
                raise ValidationFailed(f"{q.code} must be answered", field=f"answers.{q.code}")
            continue
        out.append((q, *_parse(q, answered[q.code])))
    return out


def _subject(session: Session, customer_id: int, order_id: int | None) -> str:
    if order_id is None:
        return "-"
    order = session.get(Order, order_id)
    if order is None:
        raise NotFound(f"there is no order #{order_id}", field="order_id")
    if order.customer_id != customer_id:
        raise ValidationFailed(
            f"order #{order_id} is not customer #{customer_id}'s", field="order_id"
        )
    return f"order:{order_id}"


def do_submit_response(
    session: Session,
    survey_code: str,
    customer_id: int,
    answers: Mapping[str, Answer],
    *,
    order_id: int | None = None,
    language: str = "ja",
    channel: str = "web",
    at: datetime | None = None,
) -> SubmitResult:
    """Store ``answers`` (``{question code: value}``) once; a repeat returns the first."""
    survey = get_survey(session, survey_code)
    get_customer(session, customer_id)
    subject = _subject(session, customer_id, order_id)
    # serialise the same (survey, customer, subject) so two submissions at once store one
    lock_key(session, "survey", str(survey.id), str(customer_id), subject)
    earlier = session.scalar(
        select(SurveyResponse).where(
            SurveyResponse.survey_id == survey.id,
            SurveyResponse.customer_id == customer_id,
            SurveyResponse.subject == subject,
        )
    )
    if earlier is not None:
        return SubmitResult(earlier.id, survey.id, customer_id, subject, False)
    if survey.status != "active":
        raise Conflict(
            f"survey {survey.code!r} is {survey.status}, not taking answers", field="survey"
        )
    checked = _answers(questions_of(session, survey.id), answers)
    response = SurveyResponse(
        survey_id=survey.id,
        customer_id=customer_id,
        order_id=order_id,
        subject=subject,
        language="en" if language == "en" else "ja",
        channel=channel[:16],
        submitted_at=at or now(),
    )
    session.add(response)
    session.flush()
    session.add_all(
        SurveyAnswer(response_id=response.id, question_id=q.id, score=s, text=t, choice=c)
        for q, s, t, c in checked
    )
    session.flush()
    return SubmitResult(response.id, survey.id, customer_id, subject, True)
