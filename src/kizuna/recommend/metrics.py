"""Top-k ranking metrics over held-out purchases (binary relevance).

For a customer with held-out items ``T`` and a list ``L`` of k items: precision@k = |L ∩ T| / k,
recall@k = |L ∩ T| / |T|, NDCG@k = DCG / IDCG with DCG = Σ 1/log2(rank + 1) over the hits and
IDCG the same for min(|T|, k) hits. Each is averaged over customers. Catalogue coverage is the
share of sellable items recommended to at least one customer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True)
class MethodScore:
    """One method's averages on one evaluation population."""

    method: str
    precision: float
    recall: float
    ndcg: float
    coverage: float
    customers: int


def score_lists(
    method: str,
    lists: NDArray[np.int64],
    truth: Sequence[set[int]],
    k: int,
    catalogue_size: int,
) -> MethodScore:
    """Average precision, recall and NDCG at ``k`` of ``lists`` (rows aligned with ``truth``)."""
    discount = 1.0 / np.log2(np.arange(2, k + 2))
    precision = recall = ndcg = 0.0
    for row, held in zip(lists[:, :k].tolist(), truth, strict=True):
        hits = np.array([1.0 if item in held else 0.0 for item in row] + [0.0] * (k - len(row)))
        found = hits.sum()
        precision += found / k
        recall += found / len(held)
        ndcg += float(hits @ discount) / float(discount[: min(len(held), k)].sum())
    count = max(len(truth), 1)
    shown = np.unique(lists[:, :k][lists[:, :k] >= 0])
    return MethodScore(
        method,
        round(float(precision) / count, 4),
        round(float(recall) / count, 4),
        round(float(ndcg) / count, 4),
        round(len(shown) / max(catalogue_size, 1), 4),
        len(truth),
    )
