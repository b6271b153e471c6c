"""The segment predicate registry: one small typed class per condition a marketer can pick.

Each predicate is a Pydantic model with a ``type`` discriminator, a ``label`` (shown in the
builder and in audit logs) and ``to_ibis(ctx)``, which returns a boolean expression over the
segment base (one row per customer: summary + RFM + rank). The ones over the base live here;
those that read purchases, events or consents are in ``segments.activity``, those over the
stored CLV predictions in ``segments.predictions``, those over survey answers in
``segments.feedback``. ``PREDICATES`` maps each type to its class;
``UNAVAILABLE`` lists the types the builder shows greyed out until their domain exists.
"""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar, Literal

import ibis
import ibis.expr.types as ir
from pydantic import Field

from kizuna.analytics.segments.activity import (
    Bought,
    CartAbandoned,
    ChannelUsed,
    Consent,
    SpendInWindow,
    Viewed,
)
from kizuna.analytics.segments.base import Context, Predicate, _between, _range
from kizuna.analytics.segments.feedback import NpsGroup, SurveyScore
from kizuna.analytics.segments.predictions import ChurnRisk, Clv
from kizuna.analytics.summary import FIELDS

NUMERIC_FIELDS = tuple(name for name, kind in FIELDS.items() if kind == "number")
AGE_BANDS = {
    "under_20": (None, 19), "20s": (20, 29), "30s": (30, 39), "40s": (40, 49),
    "50s": (50, 59), "60s": (60, 69), "70_plus": (70, None),
}  # fmt: skip
UNAVAILABLE = {
    "stage": "member stages come with the loyalty programme (not yet linked to analytics)",
}


class RankIn(Predicate):
    type: Literal["rank"] = "rank"
    ranks: list[str] = Field(min_length=1)

    @property
    def label(self) -> str:
        return f"Rank is {' or '.join(self.ranks)}"

    def to_ibis(self, ctx: Context) -> ir.BooleanValue:
        return ctx.base["rank"].isin(self.ranks)


class RfmScore(Predicate):
    type: Literal["rfm"] = "rfm"
    score: Literal["r_score", "f_score", "m_score", "r_tier", "f_tier", "m_tier"]
    min: int = Field(default=1, ge=1, le=10)
    max: int = Field(default=5, ge=1, le=10)

    @property
    def label(self) -> str:
        return f"{self.score} between {self.min} and {self.max}"

    def to_ibis(self, ctx: Context) -> ir.BooleanValue:
        return _between(ctx.base[self.score], self.min, self.max)


class FieldRange(Predicate):
    """A numeric summary field within [min, max] (spend, order count, recency, age…)."""

    type: Literal["field"] = "field"
    field: Literal[NUMERIC_FIELDS]  # type: ignore[valid-type]
    min: float | None = None
    max: float | None = None

    @property
    def label(self) -> str:
        return f"{self.field} in {_range(self.min, self.max)}"

    def to_ibis(self, ctx: Context) -> ir.BooleanValue:
        return _between(ctx.base[self.field], self.min, self.max)


class PurchaseDate(Predicate):
    type: Literal["purchase_date"] = "purchase_date"
    which: Literal["first", "last"]
    on_or_after: date | None = None
    on_or_before: date | None = None

    @property
    def label(self) -> str:
        return f"{self.which} purchase {_range(self.on_or_after, self.on_or_before)}"

    def to_ibis(self, ctx: Context) -> ir.BooleanValue:
        column = ctx.base[f"{self.which}_purchase_day"]
        parts = [column.notnull()]
        if self.on_or_after is not None:
            parts.append(column >= ibis.date(self.on_or_after))
        if self.on_or_before is not None:
            parts.append(column <= ibis.date(self.on_or_before))
        return ibis.and_(*parts)


class Subscription(Predicate):
    type: Literal["subscription"] = "subscription"
    status: Literal["active", "none"] = "active"

    @property
    def label(self) -> str:
        return "Has an active subscription" if self.status == "active" else "No subscription"

    def to_ibis(self, ctx: Context) -> ir.BooleanValue:
        active = ctx.base.has_subscription
        return active if self.status == "active" else ~active


class Member(Predicate):
    type: Literal["member"] = "member"
    is_member: bool = True

    @property
    def label(self) -> str:
        return "Member" if self.is_member else "Guest"

    def to_ibis(self, ctx: Context) -> ir.BooleanValue:
        return ctx.base.is_member == self.is_member


class AgeBand(Predicate):
    type: Literal["age_band"] = "age_band"
    bands: list[Literal["under_20", "20s", "30s", "40s", "50s", "60s", "70_plus", "unknown"]]

    @property
    def label(self) -> str:
        return f"Age {' or '.join(self.bands)}"

    def to_ibis(self, ctx: Context) -> ir.BooleanValue:
        age = ctx.base.age
        parts = [
            age.isnull() if b == "unknown" else _between(age, *AGE_BANDS[b]) for b in self.bands
        ]
        return ibis.or_(*parts)


class _OneOf(Predicate):
    values: list[str] = Field(min_length=1)
    column: ClassVar[str] = ""

    @property
    def label(self) -> str:
        return f"{self.column.capitalize()} is {' or '.join(self.values)}"

    def to_ibis(self, ctx: Context) -> ir.BooleanValue:
        column = ctx.base[self.column]
        return column.notnull() & column.isin(self.values)


class Gender(_OneOf):
    type: Literal["gender"] = "gender"
    column = "gender"


class Prefecture(_OneOf):
    type: Literal["prefecture"] = "prefecture"
    column = "prefecture"


class Occupation(_OneOf):
    type: Literal["occupation"] = "occupation"
    column = "occupation"


class Problem(Predicate):
    type: Literal["problem"] = "problem"
    is_problem: bool = True

    @property
    def label(self) -> str:
        return "Problem customer" if self.is_problem else "Not a problem customer"

    def to_ibis(self, ctx: Context) -> ir.BooleanValue:
        return ctx.base.is_problem == self.is_problem


LEAVES: tuple[type[Predicate], ...] = (
    RankIn, RfmScore, FieldRange, SpendInWindow, PurchaseDate, Bought, Viewed, CartAbandoned,
    Subscription, Member, ChannelUsed, AgeBand, Gender, Prefecture, Occupation, Consent, Problem,
    Clv, ChurnRisk, SurveyScore, NpsGroup,
)  # fmt: skip
PREDICATES: dict[str, type[Predicate]] = {cls.model_fields["type"].default: cls for cls in LEAVES}


def describe() -> list[dict[str, Any]]:
    """The builder's palette: each predicate type with its JSON schema, and the unavailable ones."""
    out: list[dict[str, Any]] = [
        {"type": name, "schema": cls.model_json_schema(), "available": True}
        for name, cls in PREDICATES.items()
    ]
    out += [{"type": name, "available": False, "reason": why} for name, why in UNAVAILABLE.items()]
    return out
