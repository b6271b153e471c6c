"""The rebuild job: compute every list from the record and replace the stored ones.

``build_all`` reads the catalogue, purchases, browsing and customers; computes item similarity,
related items, alternatives, best-sellers, the ALS model and every customer's list and gift
(``assemble``); and replaces the ``recommend_*`` tables in the caller's transaction (the caller
commits, so the storefront switches to the new lists at once). ``audience`` supplies each
customer's stage, rank and segments for content rules; the caller injects it (jobs, CLI)
because loyalty and analytics sit beside or above this domain.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from kizuna.kit.clock import now
from kizuna.recommend import personal, store
from kizuna.recommend.alternatives import alternative_items
from kizuna.recommend.assemble import REASONS, CustomerLists, assemble
from kizuna.recommend.config import RecommendConfig
from kizuna.recommend.data import (
    Catalogue,
    People,
    load_browsing,
    load_catalogue,
    load_people,
    load_purchases,
)
from kizuna.recommend.popular import category_lists, ranked, segment_lists, shop_scores
from kizuna.recommend.related import Neighbours, item_similarity, top_k
from kizuna.recommend.signals import build_signals, buyers_matrix

AudienceRow = tuple[int, str | None, str | None, Sequence[str]]


class AudienceSource(Protocol):
    """Gives (customer id, stage, rank, segments) rows for content rules; customers left out
    have none. Written by the caller from loyalty stages and analytics ranks / segments."""

    def __call__(self, session: Session) -> Iterable[AudienceRow]: ...


@dataclass
class BuildReport:
    """What a build wrote, how customers were served, and the seconds of each phase."""

    customers: int = 0
    products: int = 0
    popular_lists: int = 0
    served_by: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    run_id: int | None = None

    def tick(self, phase: str, started: float) -> float:
        """Record the seconds since ``started`` under ``phase``; returns now."""
        stamp = time.perf_counter()
        self.seconds[phase] = round(stamp - started, 3)
        return stamp

    def to_dict(self) -> dict[str, Any]:
        """JSON form for the CLI and the run log."""
        return asdict(self)


@dataclass(frozen=True)
class Built:
    """Everything computed, ready to be written."""

    catalogue: Catalogue
    people: People
    related: Neighbours
    alternatives: Neighbours
    lists: CustomerLists
    popular: dict[str, list[str]]


def _pairs(found: Neighbours, row: int, skus: list[str]) -> list[list[Any]]:
    return [
        [skus[i], round(float(s), 4)]
        for i, s in zip(found.items[row], found.scores[row], strict=True)
        if i >= 0
    ]


def _customer_rows(
    people: People, lists: CustomerLists, skus: list[str], facts: dict[int, AudienceRow]
) -> Iterator[tuple[int, list, str | None, str | None, str | None, str | None, list[str]]]:
    for k, cid in enumerate(people.ids.tolist()):
        items = [
            [skus[i], REASONS[r]]
            for i, r in zip(lists.items[k].tolist(), lists.reasons[k].tolist(), strict=True)
            if i >= 0
        ]
        gift = int(lists.gift[k])
        _, stage, rank, segments = facts.get(cid, (cid, None, None, ()))
        yield (
            cid,
            items,
            skus[gift] if gift >= 0 else None,
            REASONS[lists.gift_reason[k]] if gift >= 0 else None,
            stage,
            rank,
            list(segments),
        )


def build_all(
    session: Session,
    config: RecommendConfig | None = None,
    *,
    audience: AudienceSource | None = None,
) -> BuildReport:
    """Rebuild every stored list from the record; the caller commits."""
    config = config or RecommendConfig()
    report, started_at = BuildReport(), now()
    begin = tick = time.perf_counter()
    catalogue = load_catalogue(session, config)
    purchases = load_purchases(session, catalogue, config)
    browsing = load_browsing(session, catalogue, config)
    people = load_people(session)
    tick = report.tick("load", tick)
    signals = build_signals(purchases, browsing, len(catalogue))
    similarity = item_similarity(buyers_matrix(signals), signals.visits, config)
    related = top_k(similarity, catalogue.sellable, config.related_n)
    shop_score = shop_scores(purchases, len(catalogue), config)
    alternatives = alternative_items(catalogue, similarity, shop_score, config)
    tick = report.tick("items", tick)
    model = personal.fit(signals, config)
    tick = report.tick("model", tick)
    width = max(config.customer_n, config.related_n)
    shop = ranked(shop_score, catalogue.sellable, width)
    segments = segment_lists(purchases, people, catalogue, config, config.customer_n)
    lists = assemble(signals, model, people, catalogue, config, segments, shop, shop_score)
    report.served_by = lists.served_by
    tick = report.tick("customers", tick)
    popular = _popular(catalogue, shop, segments, shop_score, config)
    built = Built(catalogue, people, related, alternatives, lists, popular)
    _write(session, built, audience, report)
    report.tick("write", tick)
    report.run_id = store.log_run(
        session, "build", started_at, time.perf_counter() - begin, report.to_dict()
    )
    return report


def _popular(
    catalogue: Catalogue,
    shop: list[int],
    segments: dict[str, list[int]],
    shop_score: Any,
    config: RecommendConfig,
) -> dict[str, list[str]]:
    skus = catalogue.skus
    out = {"shop": [skus[i] for i in shop]}
    out |= {f"segment:{name}": [skus[i] for i in items] for name, items in segments.items()}
    for category, items in category_lists(shop_score, catalogue, config.related_n).items():
        out[f"category:{category}"] = [skus[i] for i in items]
    return out


def _write(
    session: Session, built: Built, audience: AudienceSource | None, report: BuildReport
) -> None:
    stamp: datetime = now()
    skus = built.catalogue.skus
    products = (
        (sku, _pairs(built.related, i, skus), _pairs(built.alternatives, i, skus))
        for i, sku in enumerate(skus)
    )
    report.products = store.replace_products(session, products, stamp)
    report.popular_lists = store.replace_popular(session, built.popular, stamp)
    facts = {row[0]: row for row in audience(session)} if audience else {}
    rows = _customer_rows(built.people, built.lists, skus, facts)
    report.customers = store.replace_customers(session, rows, stamp)
