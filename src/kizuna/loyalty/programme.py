"""The loyalty programme as a document: stages, qualification, earn rules, expiry, redemption,
rounding, pricing and benefits. Validated with Pydantic; read and written as TOML or JSON.

The shop edits this document, never code (DESIGN decision 3). Stored versions live in
``loyalty_programmes`` (``versions.py``) with who published them and from when they apply; the
default programme is ``defaults/programme.toml``.

Stages are ordered by ``min_qualifying``; each covers ``[min_qualifying, next stage's min)``. A
stage may state ``max_qualifying`` (exclusive) for readability, in which case it must equal the
next stage's minimum: a smaller value leaves a gap, a larger one overlaps (``StagesOverlap``).
"""

from __future__ import annotations

import json
import tomllib
from datetime import date
from decimal import Decimal
from functools import lru_cache
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from kizuna.loyalty.benefit_types import Benefit
from kizuna.loyalty.calc import Rounding
from kizuna.loyalty.earn_rules import EarnRule
from kizuna.loyalty.errors import ProgrammeInvalid, StagesOverlap
from kizuna.loyalty.toml_out import dumps_toml

DEFAULT_PATH = Path(__file__).parent / "defaults" / "programme.toml"
_STRICT = ConfigDict(extra="forbid", frozen=True)


class Stage(BaseModel):
    model_config = _STRICT
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")
    name_ja: str = Field(min_length=1, max_length=40)
    name_en: str = Field(min_length=1, max_length=40)
    min_qualifying: int = Field(ge=0, description="Yen (basis spend) or points (basis points)")
    max_qualifying: int | None = Field(default=None, gt=0)
    benefits: list[Benefit] = Field(default_factory=list)

    def name(self, language: str = "ja") -> str:
        return self.name_ja if language == "ja" else self.name_en


class Qualification(BaseModel):
    """How a stage is earned: spend or points, within a rolling window, a (fiscal) year or the
    customer's lifetime; demotion waits ``grace_days`` after an evaluation first finds the member
    short of their stage."""

    model_config = _STRICT
    basis: Literal["spend", "points"] = "spend"
    period: Literal["rolling_months", "year", "lifetime"] = "year"
    months: int = Field(default=12, ge=1, le=60)
    year_start_month: int = Field(default=4, ge=1, le=12)
    grace_days: int = Field(default=30, ge=0, le=1000)
    evaluate_on_order: bool = True


class Expiry(BaseModel):
    """``fixed_months``: each lot expires ``months`` after it was earned (at the end of that
    month when ``end_of_month``); ``extend_on_activity``: every earn moves all open lots to that
    date; ``never``."""

    model_config = _STRICT
    mode: Literal["fixed_months", "extend_on_activity", "never"] = "fixed_months"
    months: int = Field(default=12, ge=1, le=120)
    end_of_month: bool = True


class Redemption(BaseModel):
    model_config = _STRICT
    yen_per_point: int = Field(default=1, ge=1, le=1000)
    min_points: int = Field(default=1, ge=1)
    max_points: int | None = Field(default=None, ge=1)
    max_percent_of_order: int = Field(default=100, ge=1, le=100)
    hold_minutes: int = Field(default=15, ge=1, le=7 * 24 * 60)
    reversal_shortfall: Literal["negative_balance", "deduct_from_refund"] = "deduct_from_refund"
    refund_to: Literal["original_lots", "new_lot"] = "original_lots"


class VolumeTier(BaseModel):
    model_config = _STRICT
    min_subtotal: int = Field(gt=0)
    percent: Decimal = Field(default=Decimal(0), ge=0, le=100)
    amount_yen: int = Field(default=0, ge=0)


class Pricing(BaseModel):
    model_config = _STRICT
    subscription_discount_percent: Decimal = Field(default=Decimal(0), ge=0, le=100)
    subscription_stacking: Literal["add", "compound"] = "add"
    volume_tiers: list[VolumeTier] = Field(default_factory=list)
    max_coupons_per_order: int = Field(default=1, ge=0, le=10)


class Programme(BaseModel):
    """The whole loyalty programme. ``version``, ``author`` and ``effective_from`` are filled in
    when the document comes from the store; a new draft leaves them empty."""

    model_config = _STRICT
    name: str = Field(min_length=1, max_length=120)
    currency: Literal["JPY"] = "JPY"
    members_only: bool = True
    earn_basis: Literal["after_discounts", "after_points"] = "after_points"
    rounding: Rounding = "floor"
    qualification: Qualification = Qualification()
    stages: list[Stage] = Field(min_length=1, max_length=20)
    earn_rules: list[EarnRule] = Field(default_factory=list)
    expiry: Expiry = Expiry()
    redemption: Redemption = Redemption()
    pricing: Pricing = Pricing()
    version: int | None = None
    author: str | None = None
    effective_from: date | None = None

    @model_validator(mode="after")
    def _stages_partition(self) -> Programme:
        check_stages(self.stages)
        ids = [r.id for r in self.earn_rules]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ProgrammeInvalid(f"earn rule ids repeat: {dupes}", field="earn_rules")
        return self

    def stage(self, code: str | None) -> Stage:
        """The stage ``code``, or the entry stage for unknown/None."""
        return next((s for s in self.stages if s.code == code), self.stages[0])

    def rank(self, code: str | None) -> int:
        """Position of ``code`` among the stages (0 = entry); -1 when it is not a stage."""
        return next((i for i, s in enumerate(self.stages) if s.code == code), -1)

    def entitled(self, qualifying: int) -> Stage:
        """The highest stage whose minimum ``qualifying`` reaches."""
        return [s for s in self.stages if qualifying >= s.min_qualifying][-1]


def check_stages(stages: list[Stage]) -> None:
    """Raise ``StagesOverlap``/``ProgrammeInvalid`` unless the stages partition 0…∞ in order."""
    codes = [s.code for s in stages]
    for i, code in enumerate(codes):
        if codes.index(code) != i:
            raise ProgrammeInvalid(f"stage code {code!r} repeats", field=f"stages[{i}].code")
    if stages[0].min_qualifying != 0:
        raise ProgrammeInvalid("the first stage must start at 0", field="stages[0].min_qualifying")
    for i, (low, high) in enumerate(pairwise(stages), start=1):
        if high.min_qualifying <= low.min_qualifying:
            raise StagesOverlap(
                f"stage {high.code!r} starts at {high.min_qualifying}, not above "
                f"{low.code!r} ({low.min_qualifying}); stages are listed lowest first",
                field=f"stages[{i}].min_qualifying",
            )
        if low.max_qualifying is not None and low.max_qualifying > high.min_qualifying:
            raise StagesOverlap(
                f"stage {low.code!r} runs to {low.max_qualifying} but {high.code!r} starts at "
                f"{high.min_qualifying}",
                field=f"stages[{i - 1}].max_qualifying",
            )
        if low.max_qualifying is not None and low.max_qualifying < high.min_qualifying:
            raise ProgrammeInvalid(
                f"amounts {low.max_qualifying}–{high.min_qualifying} belong to no stage",
                field=f"stages[{i - 1}].max_qualifying",
            )
    if stages[-1].max_qualifying is not None:
        raise ProgrammeInvalid(
            "the top stage has no upper bound", field=f"stages[{len(stages) - 1}].max_qualifying"
        )


def parse_programme(data: dict[str, Any]) -> Programme:
    """A validated ``Programme`` from plain data; ``ProgrammeInvalid`` names the first bad field."""
    try:
        return Programme.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = _path(first["loc"])
        raise ProgrammeInvalid(f"{where}: {first['msg']}", field=where) from None


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in (
            "discount",
            "free_shipping",
            "fee_waiver",
            "priority_shipping",
            "early_access",
            "dedicated_support",
            "birthday_gift",
            "digital_gift",
            "base_rate",
            "step_up",
            "multiplier",
            "fixed_bonus",
        ):
            continue  # the union's tag adds nothing for the reader
        else:
            out += f".{part}" if out else str(part)
    return out


def loads(text: str, fmt: Literal["toml", "json"] = "toml") -> Programme:
    """A programme from TOML or JSON text."""
    try:
        data = tomllib.loads(text) if fmt == "toml" else json.loads(text)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise ProgrammeInvalid(f"not valid {fmt.upper()}: {exc}", field="document") from None
    return parse_programme(data)


def dumps(programme: Programme, fmt: Literal["toml", "json"] = "toml") -> str:
    """The programme as TOML or JSON text (``loads(dumps(p)) == p``)."""
    if fmt == "json":
        return programme.model_dump_json(indent=2, exclude_none=True)
    return dumps_toml(programme.model_dump(mode="python", exclude_none=True))


@lru_cache(maxsize=1)
def default_programme() -> Programme:
    """The programme kizuna ships with (``defaults/programme.toml``)."""
    return loads(DEFAULT_PATH.read_text(encoding="utf-8"))
