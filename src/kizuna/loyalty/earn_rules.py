"""Earn rules: a registry of small rule types, each with its schema, a label and ``compute``.

A programme lists rules of these types (``type`` is the discriminator in TOML/JSON). For one
purchase or event, ``compute_earn`` asks every rule for its points and adds them up:

* ``base_rate``  – a percentage of the purchase by member stage (e.g. 1% / 2% / 3%);
* ``step_up``    – an extra percentage once the spend in the qualifying period passes a step;
* ``multiplier`` – campaigns (ポイントアップ days, date ranges, segments, dormant win-back): the
  base points times a factor. When several multipliers match, only the largest applies, so two
  overlapping campaigns never compound by accident;
* ``fixed_bonus`` – fixed points for an event: registration, birthday, survey, review, referral,
  first order.

Each rule's points are rounded once with the programme's rounding mode; the breakdown keeps one
line per rule so that the customer, the support desk and the audit log can see where points came
from. Pure: no database, no clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from kizuna.loyalty.calc import Rounding, percent_of, rounded

EVENTS = ("order", "registration", "birthday", "survey", "review", "referral", "first_order")
Event = Literal["order", "registration", "birthday", "survey", "review", "referral", "first_order"]


@dataclass(frozen=True, slots=True)
class EarnContext:
    """What a rule may look at: the purchase amount (yen, already on the programme's earn basis),
    the member stage, the qualifying spend *before* this purchase, the shop-local date, the event,
    the customer's segments and the days since their previous order (None for a first order)."""

    amount: int
    stage: str
    on: date
    period_spend_before: int = 0
    event: str = "order"
    segments: frozenset[str] = frozenset()
    days_since_last_order: int | None = None


@dataclass(frozen=True, slots=True)
class EarnLine:
    rule_id: str
    type: str
    label: str
    points: int


@dataclass(frozen=True, slots=True)
class EarnBreakdown:
    """Points for one purchase or event, with one line per rule that gave any."""

    points: int
    lines: tuple[EarnLine, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict:
        """JSON form stored in the ledger entry's ``detail``."""
        return {
            "points": self.points,
            "lines": [
                {"rule": ln.rule_id, "type": ln.type, "label": ln.label, "points": ln.points}
                for ln in self.lines
            ],
        }


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    label_en: ClassVar[str] = ""
    label_ja: ClassVar[str] = ""

    id: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_\-]+$")

    def label(self, language: str = "en") -> str:
        """The rule in words, for the editor and the audit log."""
        template = self.label_ja if language == "ja" else self.label_en
        return template.format(**self.model_dump())


class BaseRate(_Rule):
    """``rates`` maps stage code → percent of the purchase; other stages get ``default_percent``."""

    type: Literal["base_rate"] = "base_rate"
    rates: dict[str, Decimal] = Field(default_factory=dict)
    default_percent: Decimal = Field(default=Decimal(1), ge=0, le=100)
    label_en: ClassVar[str] = "Base rate by stage {rates} (others {default_percent}%)"
    label_ja: ClassVar[str] = "ステージ別基本付与率 {rates}（その他 {default_percent}%）"

    def percent(self, stage: str) -> Decimal:
        return self.rates.get(stage, self.default_percent)

    def compute(self, ctx: EarnContext, base: int, rounding: Rounding) -> int:
        if ctx.event != "order":
            return 0
        return percent_of(ctx.amount, self.percent(ctx.stage), rounding)


class Step(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    min_spend: int = Field(ge=0)
    extra_percent: Decimal = Field(gt=0, le=100)


class StepUp(_Rule):
    """An extra percent once the qualifying-period spend before this purchase reaches a step;
    the highest step reached applies."""

    type: Literal["step_up"] = "step_up"
    steps: list[Step] = Field(min_length=1)
    label_en: ClassVar[str] = "Step-up by spend in the period {steps}"
    label_ja: ClassVar[str] = "期間内購入額に応じたステップアップ {steps}"

    def compute(self, ctx: EarnContext, base: int, rounding: Rounding) -> int:
        reached = [s for s in self.steps if ctx.period_spend_before >= s.min_spend]
        if ctx.event != "order" or not reached:
            return 0
        best = max(reached, key=lambda s: s.min_spend)
        return percent_of(ctx.amount, best.extra_percent, rounding)


class Multiplier(_Rule):
    """Base points × ``factor`` on matching purchases; the extra ``(factor − 1) × base`` is what
    this rule adds. Every condition given must hold (weekdays: 0 = Monday)."""

    type: Literal["multiplier"] = "multiplier"
    factor: Decimal = Field(gt=1, le=100)
    start: date | None = None
    end: date | None = None
    weekdays: list[int] = Field(default_factory=list)
    days_of_month: list[int] = Field(default_factory=list)
    stages: list[str] = Field(default_factory=list)
    segments: list[str] = Field(default_factory=list)
    min_days_since_last_order: int | None = Field(default=None, ge=1)
    label_en: ClassVar[str] = "×{factor} points campaign"
    label_ja: ClassVar[str] = "ポイント{factor}倍キャンペーン"

    def matches(self, ctx: EarnContext) -> bool:
        checks = (
            ctx.event == "order",
            self.start is None or ctx.on >= self.start,
            self.end is None or ctx.on <= self.end,
            not self.weekdays or ctx.on.weekday() in self.weekdays,
            not self.days_of_month or ctx.on.day in self.days_of_month,
            not self.stages or ctx.stage in self.stages,
            not self.segments or bool(ctx.segments & set(self.segments)),
            self.min_days_since_last_order is None
            or (ctx.days_since_last_order or 0) >= self.min_days_since_last_order,
        )
        return all(checks)

    def compute(self, ctx: EarnContext, base: int, rounding: Rounding) -> int:
        return rounded(base * (self.factor - 1), rounding) if self.matches(ctx) else 0


class FixedBonus(_Rule):
    """Fixed points when ``event`` happens (optionally only for some stages)."""

    type: Literal["fixed_bonus"] = "fixed_bonus"
    event: Event
    points: int = Field(gt=0, le=1_000_000)
    stages: list[str] = Field(default_factory=list)
    label_en: ClassVar[str] = "{points} bonus points for {event}"
    label_ja: ClassVar[str] = "{event} で {points} ポイント"

    def compute(self, ctx: EarnContext, base: int, rounding: Rounding) -> int:
        wanted = ctx.event == self.event or (
            self.event == "first_order"
            and ctx.event == "order"
            and ctx.days_since_last_order is None
        )
        return self.points if wanted and (not self.stages or ctx.stage in self.stages) else 0


EarnRule = Annotated[BaseRate | StepUp | Multiplier | FixedBonus, Field(discriminator="type")]
RULE_TYPES: dict[str, type[_Rule]] = {
    "base_rate": BaseRate,
    "step_up": StepUp,
    "multiplier": Multiplier,
    "fixed_bonus": FixedBonus,
}


def compute_earn(rules: list[EarnRule], ctx: EarnContext, rounding: Rounding) -> EarnBreakdown:
    """Points for ``ctx`` under ``rules``: base and step-up first, then the largest multiplier
    (on the base points only), then fixed bonuses."""
    base = sum(r.compute(ctx, 0, rounding) for r in rules if isinstance(r, BaseRate))
    lines: list[EarnLine] = []
    multipliers = [r for r in rules if isinstance(r, Multiplier) and r.matches(ctx)]
    best = max(multipliers, key=lambda r: r.factor, default=None)
    for rule in rules:
        if isinstance(rule, Multiplier) and rule is not best:
            continue
        points = rule.compute(ctx, base, rounding)
        if points:
            lines.append(EarnLine(rule.id, rule.type, rule.label("en"), points))
    return EarnBreakdown(sum(ln.points for ln in lines), tuple(lines))
