"""Segment predicates over the customers' survey answers (issue 7: answers usable in segments).

The feedback domain sits below analytics, so the table names come from its models; the tables
are read through the engine like the record's others (``backends.TABLES``). Each predicate looks
at one question of one survey (by code) and at each customer's *latest* scored answer to it
submitted up to the end of ``as_of`` (shop zone), optionally only in the last ``within_days``
days. A customer who never answered that question never matches.
"""

from __future__ import annotations

from typing import Literal

import ibis
import ibis.expr.types as ir
from pydantic import Field

from kizuna.analytics import staging
from kizuna.analytics.segments.base import Context, Predicate, _between, _range
from kizuna.feedback.models import Survey, SurveyAnswer, SurveyQuestion, SurveyResponse

SURVEYS_TABLE = Survey.__tablename__
QUESTIONS_TABLE = SurveyQuestion.__tablename__
RESPONSES_TABLE = SurveyResponse.__tablename__
ANSWERS_TABLE = SurveyAnswer.__tablename__
# the NPS groups (``feedback.scoring``): promoters 9–10, passives 7–8, detractors 0–6
NPS_GROUPS = {"promoter": (9, 10), "passive": (7, 8), "detractor": (0, 6)}
DEFAULT_KINDS = ("nps", "csat")


def _question(ctx: Context, survey: str, question: str | None, kinds: tuple[str, ...]) -> ir.Table:
    """The one question asked about (``question_id``): the named one, or else the survey's first
    question of its own kind (NPS survey → NPS question), then its first of ``kinds``."""
    s = ctx.con.table(SURVEYS_TABLE)
    s = s.filter(s.code == survey).select(survey_id=s.id, survey_kind=s.kind)
    q = ctx.con.table(QUESTIONS_TABLE)
    q = q.select(
        question_id=q.id, survey_id=q.survey_id, code=q.code, kind=q.kind, position=q.position
    )
    q = q.inner_join(s, "survey_id")
    if question is not None:
        return q.filter(q.code == question).select("question_id")
    q = q.filter(q.kind.isin(kinds))
    order = [ibis.ifelse(q.kind == q.survey_kind, 0, 1), q.position, q.question_id]
    q = q.mutate(n=ibis.row_number().over(order_by=order))
    return q.filter(q.n == 0).select("question_id")


def _latest(
    ctx: Context, survey: str, question: str | None, kinds: tuple[str, ...], days: int | None
) -> ir.Table:
    """One row per customer who answered: ``customer_id`` and the ``score`` of their latest
    scored answer up to ``as_of`` (in the last ``days`` days when given)."""
    r = ctx.con.table(RESPONSES_TABLE)
    submitted = staging.to_shop_time(_naive(r.submitted_at), ctx.zone)
    r = r.select(
        response_id=r.id,
        customer_id=r.customer_id,
        submitted_local=submitted,
        submitted_day=submitted.date(),
    )
    r = r.filter(r.submitted_day <= ibis.date(ctx.as_of))
    if days is not None:
        r = r.filter(r.submitted_day >= ibis.date(ctx.since(days)))
    a = ctx.con.table(ANSWERS_TABLE)
    a = a.filter(a.score.notnull()).select(
        response_id=a.response_id, question_id=a.question_id, score=a.score.cast("int64")
    )
    a = a.filter(a.question_id.isin(_question(ctx, survey, question, kinds).question_id))
    j = a.inner_join(r, "response_id")
    newest = [ibis.desc(j.submitted_local), ibis.desc(j.response_id)]
    j = j.mutate(n=ibis.row_number().over(group_by=j.customer_id, order_by=newest))
    return j.filter(j.n == 0).select("customer_id", "score")


def _naive(column: ir.TimestampValue) -> ir.TimestampValue:
    """A UTC ``timestamptz`` without its zone (sessions run in UTC; as ``staging`` does)."""
    return column.cast("timestamp") if column.type().timezone is not None else column


class SurveyScore(Predicate):
    """The latest score to a survey question is in [min, max] (optionally answered within the
    last ``within_days`` days). Without ``question``: the survey's NPS or CSAT question."""

    type: Literal["survey_score"] = "survey_score"
    survey: str = Field(min_length=1)
    question: str | None = Field(default=None, min_length=1)
    min: int | None = Field(default=None, ge=0, le=10)
    max: int | None = Field(default=None, ge=0, le=10)
    within_days: int | None = Field(default=None, ge=1)

    @property
    def label(self) -> str:
        window = f" in the last {self.within_days} days" if self.within_days else ""
        asked = f"{self.survey}/{self.question}" if self.question else self.survey
        return f"Survey {asked} score in {_range(self.min, self.max)}{window}"

    def to_ibis(self, ctx: Context) -> ir.BooleanValue:
        latest = _latest(ctx, self.survey, self.question, DEFAULT_KINDS, self.within_days)
        return ctx.member_of(latest.filter(_between(latest.score, self.min, self.max)))


class NpsGroup(Predicate):
    """The customer's latest answer to the survey's NPS question puts them in one of ``groups``
    (promoter 9–10, passive 7–8, detractor 0–6)."""

    type: Literal["nps_group"] = "nps_group"
    survey: str = Field(min_length=1)
    groups: list[Literal["promoter", "passive", "detractor"]] = Field(min_length=1)

    @property
    def label(self) -> str:
        return f"Survey {self.survey}: {' or '.join(self.groups)}"

    def to_ibis(self, ctx: Context) -> ir.BooleanValue:
        latest = _latest(ctx, self.survey, None, ("nps",), None)
        inside = ibis.or_(*(_between(latest.score, *NPS_GROUPS[g]) for g in self.groups))
        return ctx.member_of(latest.filter(inside))
