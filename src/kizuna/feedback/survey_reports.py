"""Survey reads for the Feedback page and segments: satisfied and dissatisfied answers per
question, the NPS trend by month, the latest comments, and each customer's latest score.

A response's *headline* is its answer to the survey's first scored question (NPS, CSAT or
rating): comments are split into satisfied and dissatisfied by it, which is what tells the shop
what pleased and what disappointed. Months are cut in the shop's time zone. Reads only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from kizuna.feedback.models import Survey, SurveyAnswer, SurveyQuestion, SurveyResponse
from kizuna.feedback.scoring import SCORED, sentiment, summarise
from kizuna.feedback.surveys import get_survey, questions_of
from kizuna.kit.clock import to_shop_tz


def _window(query: Select, since: datetime | None, until: datetime | None) -> Select:
    if since is not None:
        query = query.where(SurveyResponse.submitted_at >= since)
    if until is not None:
        query = query.where(SurveyResponse.submitted_at < until)
    return query


def _headlines(session: Session, response_ids: list[int]) -> dict[int, tuple[str, int]]:
    """``{response_id: (kind, score)}``: each response's answer to its first scored question."""
    if not response_ids:
        return {}
    rows = session.execute(
        select(SurveyAnswer.response_id, SurveyQuestion.kind, SurveyAnswer.score)
        .join(SurveyQuestion, SurveyQuestion.id == SurveyAnswer.question_id)
        .where(
            SurveyAnswer.response_id.in_(response_ids),
            SurveyQuestion.kind.in_(SCORED),
            SurveyAnswer.score.is_not(None),
        )
        .order_by(SurveyAnswer.response_id, SurveyQuestion.position)
    )
    out: dict[int, tuple[str, int]] = {}
    for response_id, kind, score in rows:
        if score is not None:
            out.setdefault(response_id, (kind, score))
    return out


def question_report(
    session: Session,
    survey_code: str,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    language: str = "ja",
) -> dict:
    """Per question of the survey: the score summary (satisfied / neutral / dissatisfied, NPS or
    CSAT, mean, distribution), the choices picked, or the comments by the headline's sentiment."""
    survey = get_survey(session, survey_code)
    questions = questions_of(session, survey.id)
    query = (
        select(
            SurveyAnswer.question_id,
            SurveyAnswer.response_id,
            SurveyAnswer.score,
            SurveyAnswer.text,
            SurveyAnswer.choice,
        )
        .select_from(SurveyAnswer)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .where(SurveyResponse.survey_id == survey.id)
    )
    rows = session.execute(_window(query, since, until)).all()
    by_question: dict[int, list] = defaultdict(list)
    for row in rows:
        by_question[row[0]].append(row)
    heads = _headlines(session, sorted({row[1] for row in rows}))
    responses = len({row[1] for row in rows})
    out = []
    for q in questions:
        answers = by_question.get(q.id, [])
        item: dict = {
            "code": q.code,
            "kind": q.kind,
            "text": q.text_en if language == "en" else q.text_ja,
            "answered": len(answers),
        }
        if q.kind in SCORED:
            item["summary"] = summarise(q.kind, [a[2] for a in answers]).to_dict()
        elif q.kind == "choice":
            labels = {c["value"]: c["en" if language == "en" else "ja"] for c in q.choices or []}
            picked: dict[str, int] = defaultdict(int)
            for a in answers:
                picked[a[4]] += 1
            item["choices"] = [
                {"value": v, "label": label, "count": picked.get(v, 0)}
                for v, label in labels.items()
            ]
        else:
            moods: dict[str, int] = defaultdict(int)
            for a in answers:
                head = heads.get(a[1])
                moods[sentiment(*head) if head else "unscored"] += 1
            item["comments_by_sentiment"] = dict(sorted(moods.items()))
        out.append(item)
    return {"survey": survey.code, "kind": survey.kind, "responses": responses, "questions": out}


def nps_trend(
    session: Session,
    survey_code: str | None = None,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    zone: str = "Asia/Tokyo",
) -> list[dict]:
    """NPS by month (shop time) over every NPS question, or one survey's: promoters, passives,
    detractors, answers and NPS; months without answers are left out."""
    query = (
        select(SurveyResponse.submitted_at, SurveyAnswer.score)
        .select_from(SurveyAnswer)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .join(SurveyQuestion, SurveyQuestion.id == SurveyAnswer.question_id)
        .where(SurveyQuestion.kind == "nps", SurveyAnswer.score.is_not(None))
    )
    if survey_code is not None:
        query = query.where(SurveyResponse.survey_id == get_survey(session, survey_code).id)
    months: dict[str, list[int]] = defaultdict(list)
    for at, score in session.execute(_window(query, since, until)):
        months[to_shop_tz(at, zone).strftime("%Y-%m")].append(score)
    out = []
    for month, scores in sorted(months.items()):
        s = summarise("nps", scores)
        out.append(
            {
                "month": month,
                "answers": s.answered,
                "promoters": s.satisfied,
                "passives": s.neutral,
                "detractors": s.dissatisfied,
                "nps": s.score,
            }
        )
    return out


def latest_comments(
    session: Session,
    survey_code: str | None = None,
    *,
    limit: int = 20,
    mood: str | None = None,
    language: str = "ja",
) -> list[dict]:
    """The newest free-text answers with who wrote them, when, and their headline's sentiment
    (``mood``: only ``satisfied`` / ``neutral`` / ``dissatisfied`` ones)."""
    query = (
        select(
            SurveyResponse.id,
            SurveyResponse.customer_id,
            SurveyResponse.order_id,
            SurveyResponse.submitted_at,
            Survey.code,
            SurveyQuestion.code,
            SurveyQuestion.text_ja,
            SurveyQuestion.text_en,
            SurveyAnswer.text,
        )
        .select_from(SurveyAnswer)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .join(SurveyQuestion, SurveyQuestion.id == SurveyAnswer.question_id)
        .join(Survey, Survey.id == SurveyResponse.survey_id)
        .where(SurveyQuestion.kind == "text", SurveyAnswer.text.is_not(None))
        .order_by(SurveyResponse.submitted_at.desc(), SurveyAnswer.id.desc())
    )
    if survey_code is not None:
        query = query.where(Survey.code == survey_code)
    out: list[dict] = []
    page = max(limit, 1) * 5
    for start in range(0, page * 10, page):  # a mood filter reads at most ten pages
        rows = session.execute(query.offset(start).limit(page)).all()
        heads = _headlines(session, [r[0] for r in rows])
        for rid, cid, oid, at, code, qcode, text_ja, text_en, text in rows:
            head = heads.get(rid)
            feeling = sentiment(*head) if head else None
            if mood is not None and feeling != mood:
                continue
            out.append(
                {
                    "at": at,
                    "customer_id": cid,
                    "order_id": oid,
                    "survey": code,
                    "question": qcode,
                    "question_text": text_en if language == "en" else text_ja,
                    "text": text,
                    "score": head[1] if head else None,
                    "sentiment": feeling,
                }
            )
            if len(out) >= limit:
                return out
        if len(rows) < page:
            break
    return out


def customer_scores(session: Session, kind: str = "nps") -> dict[int, tuple[int, datetime]]:
    """``{customer_id: (score, when)}``: each customer's latest answer to a ``kind`` question
    (for segments such as "detractors" or "CSAT ≤ 2")."""
    rows = session.execute(
        select(SurveyResponse.customer_id, SurveyAnswer.score, SurveyResponse.submitted_at)
        .select_from(SurveyAnswer)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .join(SurveyQuestion, SurveyQuestion.id == SurveyAnswer.question_id)
        .where(SurveyQuestion.kind == kind, SurveyAnswer.score.is_not(None))
        .order_by(SurveyResponse.submitted_at, SurveyResponse.id)
    )
    return {cid: (score, at) for cid, score, at in rows if score is not None}


def customer_responses(session: Session, customer_id: int, limit: int = 50) -> list[dict]:
    """One customer's survey responses, newest first, with their answers (for the timeline)."""
    responses = session.execute(
        select(SurveyResponse, Survey.code, Survey.title_ja, Survey.title_en)
        .join(Survey, Survey.id == SurveyResponse.survey_id)
        .where(SurveyResponse.customer_id == customer_id)
        .order_by(SurveyResponse.submitted_at.desc(), SurveyResponse.id.desc())
        .limit(limit)
    ).all()
    ids = [r[0].id for r in responses]
    answers: dict[int, dict] = defaultdict(dict)
    if ids:
        for rid, code, score, text, choice in session.execute(
            select(
                SurveyAnswer.response_id,
                SurveyQuestion.code,
                SurveyAnswer.score,
                SurveyAnswer.text,
                SurveyAnswer.choice,
            )
            .join(SurveyQuestion, SurveyQuestion.id == SurveyAnswer.question_id)
            .where(SurveyAnswer.response_id.in_(ids))
        ):
            answers[rid][code] = (
                score if score is not None else text if text is not None else choice
            )
    return [
        {
            "at": r.submitted_at,
            "survey": code,
            "title_ja": ja,
            "title_en": en,
            "order_id": r.order_id,
            "answers": answers.get(r.id, {}),
        }
        for r, code, ja, en in responses
    ]


def score_trend(
    session: Session,
    kind: str,
    survey_code: str | None = None,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    zone: str = "Asia/Tokyo",
) -> list[dict]:
    """The headline score of ``kind`` questions (``nps``, ``csat``, ``rating``) by month (shop
    time): answers, satisfied, neutral, dissatisfied and the score (NPS or % satisfied)."""
    query = (
        select(SurveyResponse.submitted_at, SurveyAnswer.score)
        .select_from(SurveyAnswer)
        .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
        .join(SurveyQuestion, SurveyQuestion.id == SurveyAnswer.question_id)
        .where(SurveyQuestion.kind == kind, SurveyAnswer.score.is_not(None))
    )
    if survey_code is not None:
        query = query.where(SurveyResponse.survey_id == get_survey(session, survey_code).id)
    months: dict[str, list[int]] = defaultdict(list)
    for at, score in session.execute(_window(query, since, until)):
        months[to_shop_tz(at, zone).strftime("%Y-%m")].append(score)
    return [
        {"month": month} | summarise(kind, scores).to_dict()
        for month, scores in sorted(months.items())
    ]


def survey_list(session: Session, language: str = "ja") -> list[dict]:
    """Every survey with its kind, status and number of responses, newest first."""
    counts = dict(
        session.execute(
            select(SurveyResponse.survey_id, func.count()).group_by(SurveyResponse.survey_id)
        ).all()
    )
    return [
        {
            "code": s.code,
            "kind": s.kind,
            "status": s.status,
            "title": s.title_en if language == "en" else s.title_ja,
            "responses": int(counts.get(s.id, 0)),
        }
        for s in session.scalars(
            select(Survey).order_by(Survey.created_at.desc(), Survey.id.desc())
        )
    ]


def scores_by_group(session: Session, kind: str, groups: Mapping[int, str]) -> list[dict]:
    """Each group's summary of its customers' latest ``kind`` score; ``groups`` maps a customer
    to a label (a rank, a stage: the caller reads them). Customers in no group are left out."""
    scores: dict[str, list[int]] = defaultdict(list)
    for customer_id, (score, _at) in customer_scores(session, kind).items():
        label = groups.get(customer_id)
        if label is not None:
            scores[label].append(score)
    return [
        {"group": label} | summarise(kind, values).to_dict()
        for label, values in sorted(scores.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    ]
