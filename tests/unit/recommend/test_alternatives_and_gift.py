"""Alternatives (same category, near price, sellable) and gift picks."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.sparse as sp

from kizuna.recommend.alternatives import alternative_items, price_match
from kizuna.recommend.config import RecommendConfig
from kizuna.recommend.data import Browsing, Catalogue, Purchases
from kizuna.recommend.gift import favourite_items, gift_pick
from kizuna.recommend.signals import build_signals


def catalogue(categories: list[int], prices: list[float], sellable: list[bool]) -> Catalogue:
    n = len(categories)
    return Catalogue(
        np.arange(1, n + 1),
        [f"S{i}" for i in range(n)],
        np.array(categories),
        np.array(prices, dtype=float),
        np.array(sellable),
    )


class TestPriceMatch:
    def test_one_at_the_same_price_and_unknown_prices_do_not_count(self) -> None:
        got = price_match(1000.0, np.array([1000.0, 1000.0 * math.e**0.3, np.nan]), 0.3)
        assert got.tolist() == pytest.approx([1.0, math.exp(-0.5), 1.0])


class TestAlternatives:
    def test_same_category_sellable_nearest_price_first(self) -> None:
        shop = catalogue(
            [1, 1, 1, 1, 2, 1],
            [1600, 1700, 1650, 5000, 1600, 1500],
            [True, True, False, True, True, True],
        )
        found = alternative_items(shop, sp.csr_matrix((6, 6)), np.ones(6), RecommendConfig())
        items = found.items[0][found.items[0] >= 0].tolist()
        assert items == [1, 5, 3]  # 1700 and 1500 before 5000; 1650 is out of stock; 4 is a mug
        assert 1 not in found.items[1]  # never itself

    def test_without_a_category_the_similar_items_are_used(self) -> None:
        shop = catalogue([-1, -1, -1], [np.nan] * 3, [True, True, False])
        sim = sp.csr_matrix(np.array([[0, 0.4, 0.9], [0.4, 0, 0], [0.9, 0, 0]]))
        found = alternative_items(shop, sim, np.ones(3), RecommendConfig())
        assert found.items[0].tolist()[:2] == [1, -1]  # 2 is not sellable
        assert found.scores[0, 0] == pytest.approx(0.4)


class TestGift:
    def test_most_orders_then_most_recent(self) -> None:
        lines = np.array(
            [
                # customer, item, order, day
                [1, 0, 1, 1.0],
                [1, 1, 1, 1.0],
                [1, 1, 2, 5.0],
                [1, 0, 3, 9.0],
                [1, 2, 3, 9.0],
                [1, 2, 4, 9.5],
                [1, 3, 4, 9.5],
                [1, 3, 5, 9.6],
                [1, 3, 6, 9.7],
                [2, 3, 7, 3.0],
            ]
        )
        bought = Purchases(
            lines[:, 0].astype(int), lines[:, 1].astype(int), lines[:, 2].astype(int), lines[:, 3]
        )
        empty = Browsing(np.zeros(0, int), np.zeros(0, int), np.zeros(0, int), np.zeros(0))
        signals = build_signals(bought, empty, 4)
        everything = np.ones(4, dtype=bool)
        # customer 1: item 3 on three orders wins; without it, 0, 1, 2 tie on two: latest is 2
        assert favourite_items(signals, everything).tolist() == [3, 3]
        assert favourite_items(signals, np.array([True, True, True, False])).tolist() == [2, -1]

    def test_fallbacks(self) -> None:
        assert gift_pick(4, [7], [9]) == (4, "most_bought")
        assert gift_pick(-1, [7], [9]) == (7, "for_you")
        assert gift_pick(-1, [], [9]) == (9, "popular")
        assert gift_pick(-1, [], []) is None
