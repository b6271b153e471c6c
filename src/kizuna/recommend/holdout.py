"""Train/held-out splits of the record around a cutoff, and every method's top-k lists.

Shared by the evaluation (``evaluate.py``) and the tuning (``tune.py``). The methods obey the
same business rules as the served lists: unsellable items never appear and items already bought
that are not repeat purchases are never re-offered (with ``new_only``, nothing bought is).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from kizuna.kit.errors import ValidationFailed
from kizuna.recommend import personal
from kizuna.recommend.config import RecommendConfig
from kizuna.recommend.data import (
    Catalogue,
    Purchases,
    load_browsing,
    load_catalogue,
    load_purchases,
)
from kizuna.recommend.popular import shop_scores
from kizuna.recommend.related import item_similarity, knn_scores
from kizuna.recommend.signals import Signals, build_signals, buyers_matrix

ALL_METHODS = ("popularity", "popularity_recent", "item_knn", "als", "buy_again", "for_you")


@dataclass(frozen=True)
class Split:
    """Training signals and held-out purchases around one cutoff."""

    catalogue: Catalogue
    train: Purchases
    signals: Signals
    test: Purchases


def load_split(
    session: Session, cutoff: datetime, end: datetime | None, config: RecommendConfig
) -> Split:
    """Read the record once for a cutoff (and optional end of the held-out window)."""
    catalogue = load_catalogue(session, config)
    train = load_purchases(session, catalogue, config, until=cutoff)
    browsing = load_browsing(session, catalogue, config, until=cutoff)
    test = load_purchases(session, catalogue, config, since=cutoff, until=end)
    if not len(train.day) or not len(test.day):
        raise ValidationFailed(
            f"no purchases on both sides of the cutoff {cutoff.date()}: choose another date",
            field="cutoff",
        )
    return Split(catalogue, train, build_signals(train, browsing, len(catalogue)), test)


def held_out(split: Split) -> tuple[np.ndarray, list[set[int]], dict[int, set[int]]]:
    """Warm rows with their held-out items, and cold customers' held-out items."""
    rows = split.signals.row_of(split.test.customer)
    has_orders = np.diff(split.signals.orders.indptr) > 0
    warm = (rows >= 0) & has_orders[np.maximum(rows, 0)]
    held: dict[int, set[int]] = {}
    for row, item in zip(rows[warm].tolist(), split.test.item[warm].tolist(), strict=True):
        held.setdefault(row, set()).add(item)
    cold: dict[int, set[int]] = {}
    for cid, item in zip(
        split.test.customer[~warm].tolist(), split.test.item[~warm].tolist(), strict=True
    ):
        cold.setdefault(cid, set()).add(item)
    order = np.array(sorted(held), dtype=np.int64)
    return order, [held[r] for r in order.tolist()], cold


def _lists(
    model: personal.ForYouModel,
    rows: np.ndarray,
    allowed: np.ndarray,
    k: int,
    *,
    als: float,
    again: float,
    extra: Any = None,
    fixed: np.ndarray | None = None,
    new_only: bool = False,
) -> np.ndarray:
    out = np.full((len(rows), k), -1, dtype=np.int64)
    for part in personal.batches(len(rows), len(allowed)):
        if fixed is not None:
            scores = np.tile(fixed.astype(np.float32), (len(part), 1))
        else:
            scores = personal.score_rows(model, rows[part], als, again, extra)
        personal.exclude(model, rows[part], scores, allowed, all_bought=new_only)
        best = personal.top_n(scores, k)
        out[part, : best.shape[1]] = best
    return out


def method_lists(
    split: Split,
    config: RecommendConfig,
    rows: np.ndarray,
    k: int,
    new_only: bool = False,
    only: tuple[str, ...] = ALL_METHODS,
) -> dict[str, np.ndarray]:
    """Each method's top-k lists for the warm ``rows``. With ``new_only``, ``buy_again`` and
    ``for_you`` are skipped: without re-purchases, "for you" is exactly ``als``."""
    allowed = split.catalogue.sellable
    model = personal.fit(split.signals, config)
    n = len(split.catalogue)
    out: dict[str, np.ndarray] = {}

    def lists(**how: Any) -> np.ndarray:
        return _lists(model, rows, allowed, k, new_only=new_only, **how)

    for name in only:
        if name == "popularity":
            everyone = config.model_copy(update={"popular_days": 10**6})
            out[name] = lists(als=0, again=0, fixed=shop_scores(split.train, n, everyone))
        elif name == "popularity_recent":
            out[name] = lists(als=0, again=0, fixed=shop_scores(split.train, n, config))
        elif name == "item_knn":
            buyers = buyers_matrix(split.signals)
            similarity = item_similarity(buyers, split.signals.visits, config)
            out[name] = lists(als=0, again=0, extra=knn_scores(buyers, similarity))
        elif name == "als":
            out[name] = lists(als=1, again=0)
        elif name == "buy_again" and not new_only:
            out[name] = lists(als=0, again=1)
        elif name == "for_you" and not new_only:
            out[name] = lists(als=1, again=config.again_weight)
    return out
