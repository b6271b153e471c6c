"""The rank policy: an ordered list of rank rules over the customer summary (DESIGN decision 3).

A customer gets the first rank whose condition holds; the last rule has no condition and catches
everyone else. Conditions are a small typed tree (discriminated on ``kind``):

* ``compare``: a summary or RFM field against a value (``==``, ``!=``, ``<``, ``<=``, ``>``,
  ``>=``, ``is_null``, ``not_null``; dates as ISO text). A comparison with a missing value (a
  customer without purchases has no recency) is false;
* ``all`` / ``any``: every / at least one of the conditions in ``of``; ``not``: the opposite;
* ``rank``: the condition of another rank's rule ("loyal and subscribed" for best).

``level`` orders the ranks for upgrades and downgrades (higher is better; ``None`` keeps a rank
off the ladder: problem customers). ``lost`` marks the ranks that count as churn (dormant,
churned). ``services`` and ``target`` feed the strategy table. Amounts are minor units of the
shop currency. The default is DESIGN.md's table; the shop edits all of it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kizuna.analytics.documents import Document
from kizuna.analytics.rfm import SCORE_FIELDS, RfmSettings
from kizuna.analytics.summary import FIELDS, WINDOW_DAYS

Op = Literal["==", "!=", "<", "<=", ">", ">=", "is_null", "not_null"]
RULE_FIELDS = {**FIELDS, **{name: "number" for name in SCORE_FIELDS if name != "rfm_code"}}


class _Node(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Compare(_Node):
    """``field op value``: a summary or RFM field against a constant."""

    kind: Literal["compare"] = "compare"
    field: str
    op: Op
    value: bool | int | float | str | None = None

    @model_validator(mode="after")
    def _known_field(self) -> Self:
        if self.field not in RULE_FIELDS:
            raise ValueError(f"field {self.field!r} is not a summary or RFM field")
        if self.op not in ("is_null", "not_null") and self.value is None:
            raise ValueError(f"{self.field} {self.op} needs a value")
        return self


class AllOf(_Node):
    """Every condition in ``of`` holds."""

    kind: Literal["all"] = "all"
    of: list[Condition] = Field(min_length=1)


class AnyOf(_Node):
    """At least one condition in ``of`` holds."""

    kind: Literal["any"] = "any"
    of: list[Condition] = Field(min_length=1)


class Not(_Node):
    """The condition does not hold."""

    kind: Literal["not"] = "not"
    of: Condition


class RankIs(_Node):
    """The condition of the rule of ``rank`` holds (whatever came before it)."""

    kind: Literal["rank"] = "rank"
    rank: str


Condition = Annotated[Compare | AllOf | AnyOf | Not | RankIs, Field(discriminator="kind")]
for _model in (AllOf, AnyOf, Not):
    _model.model_rebuild()


class RankTarget(BaseModel):
    """What the marketer aims for in a rank (all optional)."""

    model_config = ConfigDict(extra="forbid")

    customers: int | None = Field(default=None, ge=0)
    churn_rate: float | None = Field(default=None, ge=0, le=1)
    upgrade_rate: float | None = Field(default=None, ge=0, le=1)
    note: str | None = None


class RankRule(BaseModel):
    """One rank: its key, labels, place on the ladder, condition, services and target."""

    model_config = ConfigDict(extra="forbid")

    rank: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=32)
    label_ja: str
    label_en: str
    level: int | None = None
    lost: bool = False
    when: Condition | None = None
    services: str = ""
    target: RankTarget = Field(default_factory=RankTarget)


class RankPolicy(Document):
    """The ordered rank rules, the RFM settings, and the document's name and version."""

    name: str = "default"
    version: int = Field(default=1, ge=1)
    description: str = ""
    window_days: int = Field(default=WINDOW_DAYS, ge=1, le=3660)
    rfm: RfmSettings = Field(default_factory=RfmSettings)
    rules: list[RankRule] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        keys = [rule.rank for rule in self.rules]
        if len(set(keys)) != len(keys):
            raise ValueError(f"rank keys repeat: {keys}")
        for rule in self.rules[:-1]:
            if rule.when is None:
                raise ValueError(f"rule {rule.rank!r} has no condition; only the last may")
        if self.rules[-1].when is not None:
            raise ValueError(f"the last rule ({self.rules[-1].rank!r}) must have no condition")
        for rule in self.rules:
            self._check_refs(rule.rank, rule.when, set(keys), (rule.rank,))
        return self

    def _check_refs(self, rank: str, node: Any, keys: set[str], path: tuple[str, ...]) -> None:
        if isinstance(node, RankIs):
            if node.rank not in keys:
                raise ValueError(f"rule {rank!r} refers to unknown rank {node.rank!r}")
            if node.rank in path:
                raise ValueError(f"rank references loop: {' → '.join((*path, node.rank))}")
            self._check_refs(rank, self.rule(node.rank).when, keys, (*path, node.rank))
        elif isinstance(node, AllOf | AnyOf):
            for child in node.of:
                self._check_refs(rank, child, keys, path)
        elif isinstance(node, Not):
            self._check_refs(rank, node.of, keys, path)

    def rule(self, rank: str) -> RankRule:
        """The rule of ``rank`` (KeyError when unknown)."""
        for rule in self.rules:
            if rule.rank == rank:
                return rule
        raise KeyError(rank)

    @property
    def ranks(self) -> list[str]:
        """The rank keys in rule order."""
        return [rule.rank for rule in self.rules]

    def levels(self) -> dict[str, int | None]:
        """``{rank: level}`` for upgrade/downgrade direction."""
        return {rule.rank: rule.level for rule in self.rules}


def _cmp(field: str, op: Op, value: Any = None) -> Compare:
    return Compare(field=field, op=op, value=value)


def default_policy() -> RankPolicy:
    """DESIGN.md's default rank table (thresholds in yen; the shop changes any of it).

    ``one_time`` fills a gap the table leaves: one purchase more than 90 days ago (no longer
    new) but less than 180 days (not yet dormant).
    """
    loyal = AllOf(of=[_cmp("spend_12m", ">=", 50_000), _cmp("purchase_days_12m", ">=", 4)])
    rules = [
        RankRule(rank="problem", label_ja="問題", label_en="Problem", level=None,
                 when=_cmp("is_problem", "==", True),
                 services="Excluded from digital marketing; support handles contact."),
        RankRule(rank="hot_lead", label_ja="見込み(熱)", label_en="Hot lead", level=3,
                 when=AllOf(of=[_cmp("purchase_days", "==", 0),
                                _cmp("days_since_engaged", "<=", 30)]),
                 services="Browse/cart reminders, first-purchase coupon."),
        RankRule(rank="lead", label_ja="見込み", label_en="Lead", level=2,
                 when=_cmp("purchase_days", "==", 0),
                 services="Welcome series, newsletter."),
        RankRule(rank="churned", label_ja="離脱", label_en="Churned", level=0, lost=True,
                 when=_cmp("recency_days", ">=", 365),
                 services="Win-back offer once a year; otherwise low-cost channels only."),
        RankRule(rank="dormant", label_ja="休眠", label_en="Dormant", level=1, lost=True,
                 when=_cmp("recency_days", ">=", 180),
                 services="Reactivation campaign, 'we miss you' coupon, print DM."),
        RankRule(rank="best", label_ja="最優良", label_en="Best", level=8,
                 when=AnyOf(of=[_cmp("spend_12m", ">=", 200_000),
                                AllOf(of=[RankIs(rank="loyal"),
                                          _cmp("has_subscription", "==", True)])]),
                 services="Personal thanks, early access, free shipping, gifts."),
        RankRule(rank="loyal", label_ja="優良", label_en="Loyal", level=7, when=loyal,
                 services="Member-only sales, bonus points, birthday gift."),
        RankRule(rank="subscription", label_ja="定期", label_en="Subscription", level=6,
                 when=_cmp("has_subscription", "==", True),
                 services="Delivery reminders, skip/pause self-service, add-on offers."),
        RankRule(rank="repeat", label_ja="リピート", label_en="Repeat", level=5,
                 when=_cmp("purchase_days", ">=", 2),
                 services="Cross-sell recommendations, points reminders."),
        RankRule(rank="new", label_ja="新規", label_en="New", level=4,
                 when=_cmp("tenure_days", "<", 90),
                 services="Thank-you mail, how-to content, second-purchase coupon."),
        RankRule(rank="one_time", label_ja="一回購入", label_en="One-time", level=3,
                 services="Second-purchase reminder before they go dormant."),
    ]  # fmt: skip
    return RankPolicy(
        description="DESIGN.md default: problem overrides all; first match wins.", rules=rules
    )
