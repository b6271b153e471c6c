"""Item-to-item similarity: shrunk cosine, popularity correction, sellable top-k."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from kizuna.recommend.config import RecommendConfig
from kizuna.recommend.related import cosine, item_similarity, knn_scores, top_k

# four customers × four items: item 0 is a best-seller, items 1 and 2 go together
BUYERS = sp.csr_matrix(
    np.array(
        [
            [1, 1, 1, 0],
            [1, 1, 1, 0],
            [1, 0, 0, 1],
            [1, 0, 0, 0],
        ],
        dtype=float,
    )
)


class TestCosine:
    def test_values_are_cosine_times_shrinkage(self) -> None:
        sim = cosine(BUYERS, shrink=2.0).toarray()
        # items 1 and 2: together twice, each bought twice: cosine 1, shrinkage 2 / (2 + 2)
        assert sim[1, 2] == pytest.approx(1.0 * 2 / 4)
        # items 0 and 1: together twice; 4 and 2 buyers: cosine 2 / sqrt(8)
        assert sim[0, 1] == pytest.approx(2 / np.sqrt(8) * 2 / 4)
        assert np.allclose(sim, sim.T)
        assert np.all(np.diag(sim) == 0)

    def test_the_best_seller_is_not_everyones_nearest(self) -> None:
        sim = cosine(BUYERS, shrink=0.0).toarray()
        assert sim[1].argmax() == 2  # not item 0, bought by everyone

    def test_counts_are_binary(self) -> None:
        heavy = BUYERS.copy()
        heavy.data = heavy.data * 7
        assert np.allclose(cosine(heavy, 1.0).toarray(), cosine(BUYERS, 1.0).toarray())


class TestTopK:
    def test_keeps_allowed_positive_items_best_first(self) -> None:
        sim = cosine(BUYERS, shrink=0.0)
        allowed = np.array([True, True, False, True])
        found = top_k(sim, allowed, 2)
        assert found.items[1].tolist() == [0, -1]  # 2 is not sellable, 3 never co-bought
        assert found.items[0].tolist() == [1, 3]  # 2 (as close as 1) is not sellable
        assert found.scores[0].tolist() == pytest.approx([2 / np.sqrt(8), 0.5])

    def test_views_add_to_purchases(self) -> None:
        visits = sp.csr_matrix(np.array([[0, 0, 1, 1], [0, 0, 1, 1]], dtype=float))
        config = RecommendConfig(shrink=0.0, view_weight=0.5)
        sim = item_similarity(BUYERS, visits, config).toarray()
        assert sim[2, 3] == pytest.approx(0.5 * 1.0)  # never bought together, viewed together


def test_knn_scores_sum_the_similarity_of_the_history() -> None:
    sim = cosine(BUYERS, shrink=0.0)
    scores = knn_scores(BUYERS[[3]], sim).toarray().ravel()
    assert scores.tolist() == pytest.approx(sim.toarray()[0].tolist())
