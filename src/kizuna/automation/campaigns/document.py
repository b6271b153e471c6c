"""The campaign document: audience, content (base, per rank, A/B variants), holdout, schedule;
and ``content_for``, which merges what one customer gets (pure)."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from kizuna.automation.experiments import variant_for

Key = Field(pattern=r"^[a-z0-9_-]{1,40}$")


class Content(BaseModel):
    """What to send: template, static context (and per-language context), channel."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    template: str | None = None
    context: dict[str, Any] = Field(default_factory=dict)
    i18n: dict[str, dict[str, Any]] = Field(default_factory=dict)
    channel: str | None = None
    providers: list[str] = Field(default_factory=list, alias="with")


class RankContent(Content):
    """Content for customers whose rank is one of ``ranks``."""

    ranks: list[str] = Field(min_length=1)


class Variant(Content):
    """An A/B variant: a name, a weight and what it changes."""

    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,40}$")
    weight: float = Field(default=1.0, gt=0)


class CampaignDoc(Content):
    """A one-off send. Audience: a saved ``segment``, an inline segment ``definition``, or
    ``customer_ids``."""

    key: str = Key
    name: str
    template: str | None = "newsletter"
    category: str = "newsletter"
    kind: Literal["marketing", "transactional"] = "marketing"
    channel: str | None = "auto"
    segment: str | None = None
    definition: dict[str, Any] | None = None
    customer_ids: list[int] = Field(default_factory=list)
    by_rank: list[RankContent] = Field(default_factory=list)
    variants: list[Variant] = Field(default_factory=list)
    holdout_share: float = Field(default=0.10, ge=0, lt=1)
    conversion_days: int = Field(default=7, ge=1, le=90)
    scheduled_at: AwareDatetime | None = None
    language: str = "ja"


def load_document(path: str | Path) -> CampaignDoc:
    """A campaign document from a ``.toml`` or ``.json`` file."""
    text = Path(path).read_text(encoding="utf-8")
    data = tomllib.loads(text) if str(path).endswith(".toml") else json.loads(text)
    return CampaignDoc.model_validate(data)


def content_for(doc: CampaignDoc, customer_id: int, rank: str) -> tuple[str, Content]:
    """The variant name (or ``""``) and the merged content one customer gets."""
    parts: list[Content] = [doc]
    parts += [block for block in doc.by_rank if rank in block.ranks][:1]
    name = ""
    if doc.variants:
        names = [v.name for v in doc.variants]
        name = variant_for(
            f"campaign:{doc.key}", customer_id, names, [v.weight for v in doc.variants]
        )
        parts.append(next(v for v in doc.variants if v.name == name))
    merged = Content()
    for part in parts:
        merged = Content(
            template=part.template or merged.template,
            context={**merged.context, **part.context},
            i18n={
                lang: {**merged.i18n.get(lang, {}), **part.i18n.get(lang, {})}
                for lang in {*merged.i18n, *part.i18n}
            },
            channel=part.channel or merged.channel,
            providers=list(dict.fromkeys([*merged.providers, *part.providers])),
        )
    return name, merged
