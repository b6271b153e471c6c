""" "For you": per-customer lists from implicit-feedback matrix factorisation plus "buy again".

The ALS model (``implicit``, Hu, Koren & Volinsky 2008, "Collaborative Filtering for Implicit
Feedback Datasets") is fitted on confidences ``1 + alpha * log1p(orders + event_confidence *
browsing days)``. A customer's score for an item is the ALS score (scaled to the customer's best)
plus ``again_weight`` times a "buy again" score for repeat-purchase items already bought:
``log1p(orders)`` halved every ``again_half_life_days`` since the last order (also scaled).
Items already bought that are not repeat purchases, unsellable and excluded items never appear.
Pure: matrices in, item positions out; nothing here reads or writes the database.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import threadpoolctl
from implicit.cpu.als import AlternatingLeastSquares
from numpy.typing import NDArray

from kizuna.recommend.config import RecommendConfig
from kizuna.recommend.signals import Signals

BATCH_CELLS = 20_000_000
REPEAT_PRIOR = 10.0


@dataclass(frozen=True)
class ForYouModel:
    """Fitted factors plus the per-customer masks the scoring needs."""

    user_factors: NDArray[np.float32]
    item_factors: NDArray[np.float32]
    repeatable: NDArray[np.bool_]
    again: sp.csr_matrix
    bought: sp.csr_matrix


def repeat_items(orders: sp.csr_matrix, threshold: float) -> NDArray[np.bool_]:
    """Items whose buyers come back for them: shrunk share of buyers with 2+ orders."""
    csc = orders.tocsc()
    buyers = np.diff(csc.indptr).astype(np.float64)
    repeaters = np.asarray((csc >= 2).sum(axis=0)).ravel().astype(np.float64)
    shop = repeaters.sum() / max(buyers.sum(), 1.0)
    rate = (repeaters + REPEAT_PRIOR * shop) / (buyers + REPEAT_PRIOR)
    return rate >= threshold


def again_scores(
    signals: Signals, repeatable: NDArray[np.bool_], half_life: float
) -> sp.csr_matrix:
    """Buy-again weights of repeat items already bought, each row scaled to a maximum of 1."""
    orders = signals.orders
    age = signals.anchor - signals.last_day.data
    weight = np.log1p(orders.data) * np.power(0.5, np.maximum(age, 0) / half_life)
    weight = np.where(repeatable[orders.indices], weight, 0.0)
    row_of = np.repeat(np.arange(orders.shape[0]), np.diff(orders.indptr))
    peak = np.zeros(orders.shape[0])
    np.maximum.at(peak, row_of, weight)
    weight = weight / np.where(peak[row_of] > 0, peak[row_of], 1.0)
    out = sp.csr_matrix((weight, orders.indices.copy(), orders.indptr.copy()), shape=orders.shape)
    out.eliminate_zeros()
    return out


def confidence(signals: Signals, config: RecommendConfig) -> sp.csr_matrix:
    """ALS input: ``1 + alpha * log1p(orders + event_confidence * browsing days)``."""
    raw = (signals.orders + config.event_confidence * signals.browsed).tocsr().astype(np.float32)
    raw.data = 1.0 + config.alpha * np.log1p(raw.data)
    return raw


def fit(signals: Signals, config: RecommendConfig) -> ForYouModel:
    """Fit ALS on the signals and prepare the buy-again and exclusion matrices."""
    matrix = confidence(signals, config)
    users = np.zeros((matrix.shape[0], 1), np.float32)
    items = np.zeros((matrix.shape[1], 1), np.float32)
    if matrix.nnz:
        # implicit's CPU solver is itself multi-threaded: nested BLAS threads only slow it down.
        with threadpoolctl.threadpool_limits(1, "blas"):
            als = AlternatingLeastSquares(
                factors=config.factors,
                regularization=config.regularization,
                iterations=config.iterations,
                random_state=config.seed,
            )
            als.fit(matrix, show_progress=False)
        users, items = np.asarray(als.user_factors), np.asarray(als.item_factors)
    repeatable = repeat_items(signals.orders, config.repeat_threshold)
    bought = signals.orders.copy()
    bought.data = np.ones_like(bought.data)
    again = again_scores(signals, repeatable, config.again_half_life_days)
    return ForYouModel(users, items, repeatable, again.tocsr(), bought.tocsr())


def _scaled(scores: NDArray[np.float32]) -> NDArray[np.float32]:
    peak = np.abs(scores).max(axis=1, keepdims=True)
    return (scores / np.where(peak > 0, peak, 1.0)).astype(np.float32)


def score_rows(
    model: ForYouModel,
    rows: NDArray[np.int64],
    als_weight: float,
    again_weight: float,
    extra: sp.csr_matrix | None = None,
) -> NDArray[np.float32]:
    """Dense scores of ``rows`` (customers × items) before exclusions."""
    n_items = model.item_factors.shape[0]
    scores = np.zeros((len(rows), n_items), dtype=np.float32)
    if als_weight:
        scores += als_weight * _scaled(model.user_factors[rows] @ model.item_factors.T)
    if again_weight:
        scores += again_weight * model.again[rows].toarray().astype(np.float32)
    if extra is not None:
        scores += _scaled(extra[rows].toarray().astype(np.float32))
    return scores


def exclude(
    model: ForYouModel,
    rows: NDArray[np.int64],
    scores: NDArray[np.float32],
    allowed: NDArray[np.bool_],
    *,
    all_bought: bool = False,
) -> None:
    """Mask (in place) unsellable items and already-bought items that are not repeat buys."""
    scores[:, ~allowed] = -np.inf
    bought = model.bought[rows].tocoo()
    drop = np.ones(len(bought.col), bool) if all_bought else ~model.repeatable[bought.col]
    scores[bought.row[drop], bought.col[drop]] = -np.inf


def top_n(scores: NDArray[np.float32], n: int) -> NDArray[np.int64]:
    """Best ``n`` columns per row, best first; -1 where fewer than ``n`` are finite."""
    n = min(n, scores.shape[1])
    part = np.argpartition(-scores, n - 1, axis=1)[:, :n] if n else np.zeros((len(scores), 0), int)
    picked = np.take_along_axis(scores, part, axis=1)
    order = np.argsort(-picked, axis=1, kind="stable")
    items = np.take_along_axis(part, order, axis=1)
    return np.where(np.isfinite(np.take_along_axis(picked, order, axis=1)), items, -1)


def batches(count: int, n_items: int) -> list[NDArray[np.int64]]:
    """Row batches whose dense score block stays around ``BATCH_CELLS`` cells."""
    size = max(1, BATCH_CELLS // max(n_items, 1))
    return [np.arange(s, min(s + size, count)) for s in range(0, count, size)]


def recommend(
    model: ForYouModel,
    rows: NDArray[np.int64],
    allowed: NDArray[np.bool_],
    config: RecommendConfig,
    n: int,
) -> NDArray[np.int64]:
    """The served "for you" lists of ``rows`` (item positions, -1 padded)."""
    out = np.full((len(rows), n), -1, dtype=np.int64)
    for part in batches(len(rows), len(allowed)):
        scores = score_rows(model, rows[part], 1.0, config.again_weight)
        exclude(model, rows[part], scores, allowed)
        best = top_n(scores, n)
        out[part, : best.shape[1]] = best
    return out
