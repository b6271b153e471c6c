"""Choosing the configuration honestly: on a validation window that ends where the evaluation's
held-out window begins.

Training data is everything before ``cutoff - VALIDATION_DAYS``; the validation target is the
purchases in the ``VALIDATION_DAYS`` before the cutoff. A coordinate search first picks the ALS
size and confidence (``factors``, ``alpha``), then the "buy again" blend (``again_weight``,
``again_half_life_days``), each by recall@k of the served "for you" lists.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from kizuna.recommend.config import RecommendConfig
from kizuna.recommend.holdout import held_out, load_split, method_lists
from kizuna.recommend.metrics import score_lists

VALIDATION_DAYS = 92
GRID: tuple[dict[str, tuple[Any, ...]], ...] = (
    {"factors": (32, 64, 128), "alpha": (5.0, 10.0, 40.0)},
    {"again_weight": (0.5, 1.0, 2.0), "again_half_life_days": (30.0, 60.0, 180.0)},
)


def _combinations(axes: dict[str, tuple[Any, ...]]) -> list[dict[str, Any]]:
    combos: list[dict[str, Any]] = [{}]
    for name, values in axes.items():
        combos = [{**c, name: v} for c in combos for v in values]
    return combos


def tune_config(
    session: Session, cutoff: datetime, config: RecommendConfig, k: int
) -> tuple[RecommendConfig, list[dict[str, Any]]]:
    """The best configuration on the validation window, and every candidate's recall@k."""
    split = load_split(session, cutoff - timedelta(days=VALIDATION_DAYS), cutoff, config)
    rows, truth, _cold = held_out(split)
    size = int(split.catalogue.sellable.sum())
    trail: list[dict[str, Any]] = []
    best = config
    for axes in GRID:
        scored = []
        for change in _combinations(axes):
            candidate = best.model_copy(update=change)
            lists = method_lists(split, candidate, rows, k, only=("for_you",))["for_you"]
            recall = score_lists("for_you", lists, truth, k, size).recall
            trail.append({**change, "validation_recall": recall})
            scored.append((recall, candidate))
        best = max(scored, key=lambda pair: pair[0])[1]
    return best, trail
