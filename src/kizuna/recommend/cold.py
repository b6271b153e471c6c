"""Cold start: lists for customers the model cannot score from purchases.

A customer who browsed but never bought gets the best-sellers of the categories they browsed,
weighted by how much they browsed each (category affinity); one with no signal at all gets the
list of their segment (prefecture, else country), and the shop's best-sellers otherwise.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from kizuna.recommend.data import Catalogue
from kizuna.recommend.popular import ranked


def affinity_lists(
    browsed: sp.csr_matrix,
    rows: NDArray[np.int64],
    catalogue: Catalogue,
    shop: NDArray[np.float64],
    n: int,
) -> list[list[int]]:
    """For each row, popular items of the categories browsed, in proportion to the browsing."""
    known = catalogue.category >= 0
    categories, code = np.unique(catalogue.category[known], return_inverse=True)
    out: list[list[int]] = []
    if not len(categories):
        return [[] for _ in rows]
    item_cat = np.full(len(catalogue), -1)
    item_cat[known] = code
    # popularity within a category, scaled to its best-seller
    peak = np.zeros(len(categories))
    np.maximum.at(peak, item_cat[known], shop[known])
    within = np.where(known, shop / np.where(peak[item_cat] > 0, peak[item_cat], 1.0), 0.0)
    for row in rows:
        start, end = browsed.indptr[row], browsed.indptr[row + 1]
        cols, days = browsed.indices[start:end], browsed.data[start:end]
        cats = item_cat[cols]
        weight = np.bincount(cats[cats >= 0], weights=days[cats >= 0], minlength=len(categories))
        scores = np.where(known, weight[item_cat] * within, 0.0)
        out.append(ranked(scores, catalogue.sellable, n))
    return out


def fill(items: list[int], fallback: list[int], n: int, skip: set[int]) -> list[int]:
    """``items`` completed up to ``n`` from ``fallback``, without repeats or ``skip``."""
    seen = set(items) | skip
    out = list(items)
    for item in fallback:
        if len(out) >= n:
            break
        if item not in seen:
            out.append(item)
            seen.add(item)
    return out
