"""Ranking metrics on a hand-checked example; popularity and segment lists; cold-start fill."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from kizuna.recommend.cold import affinity_lists, fill
from kizuna.recommend.config import RecommendConfig
from kizuna.recommend.data import Catalogue, People, Purchases
from kizuna.recommend.metrics import score_lists
from kizuna.recommend.popular import ranked, segment_lists, shop_scores


class TestMetrics:
    def test_precision_recall_ndcg_coverage(self) -> None:
        lists = np.array([[1, 2, 3], [4, 5, -1]])
        truth = [{2, 9}, {4}]
        got = score_lists("m", lists, truth, 3, catalogue_size=10)
        # customer 1: one hit at rank 2 of 2 held out; customer 2: one hit at rank 1 of 1
        assert got.precision == pytest.approx(round((1 / 3 + 1 / 3) / 2, 4))
        assert got.recall == pytest.approx((1 / 2 + 1) / 2)
        ndcg_1 = (1 / math.log2(3)) / (1 + 1 / math.log2(3))
        assert got.ndcg == pytest.approx(round((ndcg_1 + 1) / 2, 4))
        assert got.coverage == 0.5  # items 1..5 of 10
        assert got.customers == 2


def purchases(rows: list[tuple[int, int, float]]) -> Purchases:
    """(customer, item, day) lines, one order each."""
    a = np.array(rows, dtype=float)
    return Purchases(a[:, 0].astype(int), a[:, 1].astype(int), np.arange(len(a)), a[:, 2])


SHOP = Catalogue(
    np.arange(1, 5),
    ["A", "B", "C", "D"],
    np.array([1, 1, 2, -1]),
    np.array([100.0, 100, 100, 100]),
    np.array([True, True, True, False]),
)


class TestPopular:
    def test_buyers_in_the_window_before_the_latest_order(self) -> None:
        bought = purchases([(1, 0, 0.0), (2, 0, 1.0), (3, 1, 200.0), (3, 1, 201.0), (4, 2, 150)])
        scores = shop_scores(bought, 4, RecommendConfig(popular_days=90))
        assert scores.tolist() == [0, 1, 1, 0]  # item 1 counted once per buyer
        assert ranked(scores, SHOP.sellable, 5) == [1, 2]

    def test_small_segments_lean_on_the_shop(self) -> None:
        people = People(np.array([1, 2, 3, 4, 5]), ["東京都", "東京都", "東京都", "大阪府", ""])
        bought = purchases([(1, 0, 0), (2, 0, 0), (3, 0, 0), (4, 1, 0), (5, 2, 0)])
        strong = segment_lists(bought, people, SHOP, RecommendConfig(segment_prior=100), 3)
        weak = segment_lists(bought, people, SHOP, RecommendConfig(segment_prior=0.1), 3)
        assert sorted(strong) == ["大阪府", "東京都"]
        assert strong["大阪府"][0] == 0  # one buyer of B is outweighed by the shop's A
        assert weak["大阪府"][0] == 1


class TestCold:
    def test_fill_skips_seen_and_excluded(self) -> None:
        assert fill([3], [3, 4, 5, 6], 3, skip={4}) == [3, 5, 6]

    def test_affinity_follows_browsing_weight(self) -> None:
        browsed = sp.csr_matrix(np.array([[0, 0, 3, 0], [1, 0, 0, 0]], dtype=float))
        shop = np.array([5.0, 10.0, 2.0, 1.0])
        got = affinity_lists(browsed, np.array([0, 1]), SHOP, shop, 3)
        assert got == [[2], [1, 0]]  # category 2 only; category 1 by popularity
