"""Offline evaluation on the shop's own history: train before a cutoff, predict what each
customer bought afterwards, and compare every method with popularity in one run.

Three populations: ``all_purchases`` (customers who bought before and after the cutoff; held
out = every item bought after it, re-purchases included), ``new_items`` (the same customers,
held out = items they had never bought; lists exclude everything already bought) and ``cold``
(customers whose first purchase came after the cutoff). With ``tune``, the configuration is
first chosen on a validation window that ends at the cutoff (``tune.py``), so the held-out
months are never seen while choosing. Reads the record; stores only the report.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from kizuna.kit.clock import now
from kizuna.recommend.config import RecommendConfig
from kizuna.recommend.data import load_people
from kizuna.recommend.holdout import Split, held_out, load_split, method_lists
from kizuna.recommend.metrics import MethodScore, score_lists
from kizuna.recommend.popular import ranked, segment_lists, shop_scores
from kizuna.recommend.store import log_run
from kizuna.recommend.tune import tune_config

BASELINE = "popularity"


@dataclass
class EvaluationReport:
    """Metrics per method and population, with the configuration and tuning trail."""

    cutoff: str
    end: str | None
    k: int
    items: int
    all_purchases: list[MethodScore] = field(default_factory=list)
    new_items: list[MethodScore] = field(default_factory=list)
    cold: list[MethodScore] = field(default_factory=list)
    tuning: list[dict[str, Any]] = field(default_factory=list)
    config: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    def score(self, method: str, population: str = "all_purchases") -> MethodScore:
        """One method's row."""
        return next(s for s in getattr(self, population) if s.method == method)

    def lift(self, method: str = "for_you", population: str = "all_purchases") -> float:
        """Relative recall@k gain of ``method`` over the popularity baseline (0.3 = +30%)."""
        base = self.score(BASELINE, population).recall
        return self.score(method, population).recall / base - 1 if base else float("inf")

    def to_dict(self) -> dict[str, Any]:
        """JSON form (CLI ``--json``, evaluation page)."""
        out = asdict(self)
        out["recall_lift_for_you"] = round(self.lift(), 4)
        return out


def _cold_scores(
    session: Session, split: Split, config: RecommendConfig, cold: dict[int, set[int]], k: int
) -> list[MethodScore]:
    people = load_people(session)
    n = len(split.catalogue)
    segments = segment_lists(split.train, people, split.catalogue, config, k)
    shop = ranked(shop_scores(split.train, n, config), split.catalogue.sellable, k)
    seg_of = dict(zip(people.ids.tolist(), people.segment, strict=True))
    ids = sorted(cold)
    pad = [-1] * k
    shop_rows = np.array([(shop + pad)[:k] for _ in ids], dtype=np.int64).reshape(len(ids), k)
    seg_rows = np.array(
        [((segments.get(seg_of.get(c, ""), []) + shop) + pad)[:k] for c in ids], dtype=np.int64
    ).reshape(len(ids), k)
    truth = [cold[c] for c in ids]
    return [
        score_lists("popularity", shop_rows, truth, k, int(split.catalogue.sellable.sum())),
        score_lists("popular_in_segment", seg_rows, truth, k, int(split.catalogue.sellable.sum())),
    ]


def evaluate(
    session: Session,
    cutoff: date = date(2011, 9, 1),
    end: date | None = None,
    *,
    k: int = 10,
    config: RecommendConfig | None = None,
    tune: bool = False,
    keep: bool = True,
) -> EvaluationReport:
    """Train before ``cutoff``, score every method on the purchases in ``[cutoff, end)``."""
    begin = time.perf_counter()
    config = config or RecommendConfig()
    at = datetime.combine(cutoff, datetime.min.time(), tzinfo=UTC)
    until = datetime.combine(end, datetime.min.time(), tzinfo=UTC) if end else None
    trail: list[dict[str, Any]] = []
    if tune:
        config, trail = tune_config(session, at, config, k)
    split = load_split(session, at, until, config)
    rows, truth, cold = held_out(split)
    size = int(split.catalogue.sellable.sum())
    report = EvaluationReport(
        cutoff.isoformat(),
        end.isoformat() if end else None,
        k,
        size,
        tuning=trail,
        config=config.model_dump(mode="json"),
    )
    for name, lists in method_lists(split, config, rows, k).items():
        report.all_purchases.append(score_lists(name, lists, truth, k, size))
    bought = split.signals.orders
    new_truth = [
        held - set(bought.indices[bought.indptr[r] : bought.indptr[r + 1]].tolist())
        for r, held in zip(rows.tolist(), truth, strict=True)
    ]
    keep_rows = np.array([bool(t) for t in new_truth], dtype=bool)
    for name, lists in method_lists(split, config, rows[keep_rows], k, new_only=True).items():
        kept = [t for t in new_truth if t]
        report.new_items.append(score_lists(name, lists, kept, k, size))
    if cold:
        report.cold = _cold_scores(session, split, config, cold, k)
    report.seconds = round(time.perf_counter() - begin, 2)
    if keep:
        log_run(session, "evaluate", now(), report.seconds, report.to_dict())
    return report
