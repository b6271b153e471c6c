""" "For you" lists (``recommend.personal``): repeat items, buy-again decay, exclusions, top-n."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from kizuna.recommend import personal
from kizuna.recommend.config import RecommendConfig
from kizuna.recommend.data import Browsing, Purchases
from kizuna.recommend.signals import Signals, build_signals


def purchases(rows: list[tuple[int, int, int, float]]) -> Purchases:
    """(customer, item, order, day) lines."""
    a = np.array(rows, dtype=float).reshape(-1, 4)
    return Purchases(a[:, 0].astype(int), a[:, 1].astype(int), a[:, 2].astype(int), a[:, 3])


NO_BROWSING = Browsing(np.zeros(0, int), np.zeros(0, int), np.zeros(0, int), np.zeros(0))
# customers 10, 11, 12: item 0 (coffee) comes back on every order; item 1 (a kettle) never does
LINES = [
    (10, 0, 1, 0.0),
    (10, 1, 1, 0.0),
    (10, 0, 2, 30.0),
    (10, 0, 3, 60.0),
    (11, 0, 4, 10.0),
    (11, 0, 5, 50.0),
    (11, 1, 5, 50.0),
    (12, 0, 6, 20.0),
    (12, 0, 6, 20.0),
    (12, 2, 6, 20.0),
]


@pytest.fixture
def signals() -> Signals:
    return build_signals(purchases(LINES), NO_BROWSING, 4)


class TestSignals:
    def test_orders_count_distinct_orders_and_last_day(self, signals: Signals) -> None:
        assert signals.customers.tolist() == [10, 11, 12]
        assert signals.orders.toarray().tolist() == [[3, 1, 0, 0], [2, 1, 0, 0], [1, 0, 1, 0]]
        assert signals.last_day.toarray()[0].tolist() == [60, 0, 0, 0]
        assert signals.anchor == 60.0
        assert signals.row_of(np.array([12, 99, 10])).tolist() == [2, -1, 0]


class TestRepeatItems:
    def test_items_bought_again_are_repeat_purchases(self, signals: Signals) -> None:
        # item 0: 2 of 3 buyers came back, item 1: 0 of 2; shrunk towards the shop's 2/6 with
        # 10 pseudo-buyers: (2 + 10/3) / 13 = 0.41 and (0 + 10/3) / 12 = 0.28
        repeat = personal.repeat_items(signals.orders, threshold=0.3)
        assert repeat[:2].tolist() == [True, False]

    def test_unknown_items_inherit_the_shops_rate(self) -> None:
        orders = sp.csr_matrix(np.array([[2, 0], [2, 1]], dtype=float))
        # item 1: one buyer, no repeat, but the shop's rate (2/3) dominates the prior
        assert personal.repeat_items(orders, threshold=0.5).tolist() == [True, True]


class TestAgain:
    def test_recent_and_frequent_items_score_higher(self, signals: Signals) -> None:
        repeat = np.array([True, False, True, True])
        again = personal.again_scores(signals, repeat, half_life=30.0).toarray()
        assert again[0].tolist() == [1.0, 0.0, 0.0, 0.0]  # item 1 is not a repeat purchase
        # customer 12: both items on one order 40 days ago: same weight, scaled to 1
        assert again[2].tolist() == pytest.approx([1.0, 0.0, 1.0, 0.0])


class TestRecommend:
    def test_never_rebuys_one_offs_nor_unsellable_items(self, signals: Signals) -> None:
        config = RecommendConfig(factors=2, iterations=3, repeat_threshold=0.3)
        model = personal.fit(signals, config)
        allowed = np.array([True, True, True, False])
        lists = personal.recommend(model, np.arange(3), allowed, config, 4)
        assert 1 not in lists[0] and 1 not in lists[1]  # bought the kettle already
        assert 3 not in lists  # not sellable
        assert lists[0, 0] == 0  # coffee again first
        assert lists[2].tolist()[-1] == -1

    def test_top_n_pads_when_too_few_items_are_left(self) -> None:
        scores = np.array([[0.1, -np.inf, 0.3], [-np.inf, -np.inf, -np.inf]], dtype=np.float32)
        assert personal.top_n(scores, 3).tolist() == [[2, 0, -1], [-1, -1, -1]]

    def test_batches_cover_every_row_once(self) -> None:
        parts = personal.batches(10, personal.BATCH_CELLS // 3)
        assert np.concatenate(parts).tolist() == list(range(10))
        assert len(parts) == 4
