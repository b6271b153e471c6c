"""Alternatives to an item (for a cart or an out-of-stock product page): substitutes the
customer could buy instead.

With a category, the candidates are the other sellable items of the same category; each scores
``price match * (0.5 + 0.5 * popularity) + similarity`` where the price match is
``exp(-ln(p_j/p_i)^2 / (2 sigma^2))`` (1 at the same price, 0.61 at ``exp(sigma)`` times it)
and ``similarity`` is the item similarity (co-view and co-purchase). Without a category, the
candidates are the item's similar items, ranked by similarity times the price match when both
prices are known. Pure: arrays in, item positions out.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from kizuna.recommend.config import RecommendConfig
from kizuna.recommend.data import Catalogue
from kizuna.recommend.related import Neighbours

WINDOW = 200


def price_match(price: float, others: NDArray[np.float64], sigma: float) -> NDArray:
    """1 for the same price, falling off on the log-price scale; 1 when a price is unknown."""
    with np.errstate(divide="ignore", invalid="ignore"):
        gap = np.log(others / price)
    match = np.exp(-(gap**2) / (2 * sigma**2))
    return np.where(np.isfinite(match), match, 1.0)


def _lookup(indices: NDArray, values: NDArray, cols: NDArray) -> NDArray[np.float64]:
    """Values of a sorted sparse row at ``cols`` (0 where absent)."""
    if not len(indices):
        return np.zeros(len(cols))
    pos = np.minimum(np.searchsorted(indices, cols), len(indices) - 1)
    return np.where(indices[pos] == cols, values[pos], 0.0)


def _candidates(catalogue: Catalogue, item: int, by_category: dict[int, NDArray]) -> NDArray:
    members = by_category.get(int(catalogue.category[item]))
    if members is None:
        return np.zeros(0, dtype=np.int64)
    if len(members) <= 2 * WINDOW:
        return members
    # large categories: only the WINDOW nearest prices on either side
    prices = catalogue.price[members]
    at = int(np.searchsorted(prices, catalogue.price[item]))
    return members[max(0, at - WINDOW) : at + WINDOW]


def alternative_items(
    catalogue: Catalogue,
    similarity: sp.csr_matrix,
    shop: NDArray[np.float64],
    config: RecommendConfig,
) -> Neighbours:
    """The alternatives of every catalogue item (sellable ones only, never the item itself)."""
    n, k = len(catalogue), config.related_n
    items = np.full((n, k), -1, dtype=np.int64)
    values = np.zeros((n, k))
    popularity = shop / max(float(shop.max()), 1.0) if len(shop) else shop
    by_category: dict[int, NDArray] = {}
    sellable = np.flatnonzero(catalogue.sellable & (catalogue.category >= 0))
    order = np.lexsort((catalogue.price[sellable], catalogue.category[sellable]))
    for category in np.unique(catalogue.category[sellable]):
        members = sellable[order][catalogue.category[sellable[order]] == category]
        by_category[int(category)] = members
    sim = similarity.tocsr()
    sim.sort_indices()
    for item in range(n):
        start, end = sim.indptr[item], sim.indptr[item + 1]
        near, near_sim = sim.indices[start:end], sim.data[start:end]
        if catalogue.category[item] >= 0:
            cols = _candidates(catalogue, item, by_category)
            row = _lookup(near, near_sim, cols)
            match = price_match(catalogue.price[item], catalogue.price[cols], config.price_sigma)
            scores = match * (0.5 + 0.5 * popularity[cols]) + row
        else:
            ok = catalogue.sellable[near]
            cols, row = near[ok], near_sim[ok]
            match = price_match(catalogue.price[item], catalogue.price[cols], config.price_sigma)
            scores = row * match
        keep = (cols != item) & (scores > 0)
        cols, scores = cols[keep], scores[keep]
        best = np.lexsort((cols, -scores))[:k]
        items[item, : len(best)] = cols[best]
        values[item, : len(best)] = scores[best]
    return Neighbours(items, values)
