"""Related products: item-to-item similarity from co-purchase and co-view.

For two items bought (or viewed in one visit) together ``c`` times, by ``n_i`` and ``n_j``
customers (visits), the similarity is the shrunk cosine ``c / sqrt(n_i n_j) * c / (c + shrink)``:
dividing by the two popularities stops best-sellers from being "related" to everything, and
the shrinkage discounts pairs seen only once or twice. Related lists combine the co-purchase
and the co-view similarity (``view_weight``) and keep only sellable items.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from kizuna.recommend.config import RecommendConfig


@dataclass(frozen=True)
class Neighbours:
    """Top related items per item: ``items[i]`` and ``scores[i]`` (descending), -1 padded."""

    items: NDArray[np.int64]
    scores: NDArray[np.float64]


def cosine(matrix: sp.csr_matrix, shrink: float) -> sp.csr_matrix:
    """Shrunk cosine similarity between the columns of a binary matrix (diagonal removed)."""
    binary = matrix.copy().tocsc()
    binary.data = np.ones_like(binary.data)
    counts = np.asarray(binary.sum(axis=0)).ravel()
    co = (binary.T @ binary).tocoo()
    keep = co.row != co.col
    rows, cols, c = co.row[keep], co.col[keep], co.data[keep]
    sim = c / np.sqrt(counts[rows] * counts[cols]) * (c / (c + shrink))
    n = matrix.shape[1]
    return sp.csr_matrix((sim, (rows, cols)), shape=(n, n))


def item_similarity(
    buyers: sp.csr_matrix, visits: sp.csr_matrix, config: RecommendConfig
) -> sp.csr_matrix:
    """Co-purchase similarity plus ``view_weight`` times co-view similarity."""
    sim = cosine(buyers, config.shrink)
    if visits.nnz and config.view_weight > 0:
        sim = sim + config.view_weight * cosine(visits, config.shrink)
    return sim.tocsr()


def top_k(scores: sp.csr_matrix, allowed: NDArray[np.bool_], k: int) -> Neighbours:
    """The ``k`` best allowed columns of each row of a sparse score matrix."""
    n = scores.shape[0]
    items = np.full((n, k), -1, dtype=np.int64)
    values = np.zeros((n, k), dtype=np.float64)
    for row in range(n):
        start, end = scores.indptr[row], scores.indptr[row + 1]
        cols, vals = scores.indices[start:end], scores.data[start:end]
        ok = allowed[cols] & (vals > 0)
        cols, vals = cols[ok], vals[ok]
        if len(cols) > k:
            part = np.argpartition(-vals, k)[:k]
            cols, vals = cols[part], vals[part]
        order = np.lexsort((cols, -vals))
        items[row, : len(order)] = cols[order]
        values[row, : len(order)] = vals[order]
    return Neighbours(items, values)


def related_items(
    buyers: sp.csr_matrix,
    visits: sp.csr_matrix,
    sellable: NDArray[np.bool_],
    config: RecommendConfig,
) -> Neighbours:
    """The related list of every catalogue item (sellable neighbours only)."""
    return top_k(item_similarity(buyers, visits, config), sellable, config.related_n)


def knn_scores(history: sp.csr_matrix, similarity: sp.csr_matrix) -> sp.csr_matrix:
    """Item-kNN scores of customers: their history (rows) times the item similarity."""
    return (history @ similarity).tocsr()
