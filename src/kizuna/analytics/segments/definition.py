"""A segment definition: an AND/OR/NOT tree of typed predicates (DESIGN decision 3).

The document is what the segment builder edits, what ``kizuna segment count FILE.json`` reads
and what ``analytics_segments`` stores. Leaves are the predicates of ``segments.predicates``
(discriminated on ``type``); groups are ``all`` (AND), ``any`` (OR) and ``not``.

    {"name": "Lapsing loyal in Tokyo", "where": {"type": "all", "of": [
        {"type": "rank", "ranks": ["loyal", "best"]},
        {"type": "field", "field": "recency_days", "min": 60},
        {"type": "prefecture", "values": ["東京都"]},
        {"type": "consent", "channel": "email"}]}}
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from kizuna.analytics.documents import Document
from kizuna.analytics.segments.feedback import NpsGroup, SurveyScore
from kizuna.analytics.segments.predicates import (
    AgeBand,
    Bought,
    CartAbandoned,
    ChannelUsed,
    Consent,
    FieldRange,
    Gender,
    Member,
    Occupation,
    Prefecture,
    Problem,
    PurchaseDate,
    RankIn,
    RfmScore,
    SpendInWindow,
    Subscription,
    Viewed,
)
from kizuna.analytics.segments.predictions import ChurnRisk, Clv


class _Group(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AllOf(_Group):
    """Every condition in ``of`` holds (AND)."""

    type: Literal["all"] = "all"
    of: list[Node] = Field(min_length=1)


class AnyOf(_Group):
    """At least one condition in ``of`` holds (OR)."""

    type: Literal["any"] = "any"
    of: list[Node] = Field(min_length=1)


class NotOf(_Group):
    """The condition does not hold."""

    type: Literal["not"] = "not"
    of: Node


Node = Annotated[
    AllOf | AnyOf | NotOf | RankIn | RfmScore | FieldRange | SpendInWindow | PurchaseDate
    | Bought | Viewed | CartAbandoned | Subscription | Member | ChannelUsed | AgeBand | Gender
    | Prefecture | Occupation | Consent | Problem | Clv | ChurnRisk | SurveyScore | NpsGroup,
    Field(discriminator="type"),
]  # fmt: skip
for _model in (AllOf, AnyOf, NotOf):
    _model.model_rebuild()


class SegmentDefinition(Document):
    """A named segment: the predicate tree and the document's version."""

    name: str = Field(min_length=1, max_length=120)
    version: int = Field(default=1, ge=1)
    description: str = ""
    where: Node


def labels(node: object, depth: int = 0) -> list[str]:
    """The tree as indented human-readable lines (builder summary, audit log)."""
    pad = "  " * depth
    if isinstance(node, AllOf | AnyOf):
        word = "All of" if isinstance(node, AllOf) else "Any of"
        return [f"{pad}{word}:"] + [line for child in node.of for line in labels(child, depth + 1)]
    if isinstance(node, NotOf):
        return [f"{pad}Not:", *labels(node.of, depth + 1)]
    return [f"{pad}{node.label}"]  # type: ignore[attr-defined]
