"""Popularity lists: the shop's best-sellers, each segment's and each category's.

Popularity is the number of distinct buyers in the ``popular_days`` before the latest order
(the data's own "now", so a historical import still has a recent window). A segment's score
mixes its own buying share with the shop's, weighted by ``segment_prior`` pseudo-buyers, so that
a prefecture with a dozen customers does not get a list made of three people's baskets.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from kizuna.recommend.config import RecommendConfig
from kizuna.recommend.data import Catalogue, People, Purchases


def recent(purchases: Purchases, config: RecommendConfig) -> Purchases:
    """The purchases within the popularity window."""
    if not len(purchases.day):
        return purchases
    keep = purchases.day >= purchases.day.max() - config.popular_days
    return Purchases(
        purchases.customer[keep], purchases.item[keep], purchases.order[keep], purchases.day[keep]
    )


def buyer_counts(customer: NDArray[np.int64], item: NDArray[np.int64], n_items: int) -> NDArray:
    """Distinct buyers per item."""
    if not len(item):
        return np.zeros(n_items)
    pairs = np.unique(customer * n_items + item)
    return np.bincount(pairs % n_items, minlength=n_items).astype(np.float64)


def ranked(scores: NDArray[np.float64], allowed: NDArray[np.bool_], n: int) -> list[int]:
    """Positions of the ``n`` best allowed items with a positive score (ties by position)."""
    ok = np.flatnonzero(allowed & (scores > 0))
    order = np.lexsort((ok, -scores[ok]))
    return [int(i) for i in ok[order[:n]]]


def shop_scores(purchases: Purchases, n_items: int, config: RecommendConfig) -> NDArray:
    """Buyers per item in the window (all time when the window is empty)."""
    window = recent(purchases, config)
    counts = buyer_counts(window.customer, window.item, n_items)
    if counts.sum() == 0:
        counts = buyer_counts(purchases.customer, purchases.item, n_items)
    return counts


def segment_lists(
    purchases: Purchases,
    people: People,
    catalogue: Catalogue,
    config: RecommendConfig,
    n: int,
) -> dict[str, list[int]]:
    """For each non-empty segment, its best-sellers shrunk towards the shop's."""
    window = recent(purchases, config)
    shop = buyer_counts(window.customer, window.item, len(catalogue))
    share = shop / max(shop.sum(), 1.0)
    out: dict[str, list[int]] = {}
    if not len(window.customer) or not len(people.ids):
        return out
    pos = np.minimum(np.searchsorted(people.ids, window.customer), len(people.ids) - 1)
    segments = np.array(people.segment, dtype=object)
    seg_of = np.where(people.ids[pos] == window.customer, segments[pos], "")
    for name in sorted({s for s in seg_of if s}):
        mask = seg_of == name
        counts = buyer_counts(window.customer[mask], window.item[mask], len(catalogue))
        total = counts.sum()
        scores = (counts + config.segment_prior * share) / (total + config.segment_prior)
        out[name] = ranked(scores, catalogue.sellable, n)
    return out


def category_lists(shop: NDArray[np.float64], catalogue: Catalogue, n: int) -> dict[int, list[int]]:
    """For each category, its best-sellers (from the shop's scores)."""
    out: dict[int, list[int]] = {}
    for category in np.unique(catalogue.category[catalogue.category >= 0]):
        allowed = catalogue.sellable & (catalogue.category == category)
        out[int(category)] = ranked(shop, allowed, n)
    return out
