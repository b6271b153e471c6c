"""Putting every live customer's list together (pure: fitted pieces in, arrays out).

Customers who bought get the model's list ("buy again" items marked ``again``, others ``cf``);
customers who only browsed get category affinity; the rest get their segment's best-sellers.
Every list is topped up from the segment's list and then the shop's, never repeating an item
nor re-offering a non-repeat item the customer already bought. The gift is the favourite item,
else the list's first item.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from kizuna.recommend import personal
from kizuna.recommend.cold import affinity_lists, fill
from kizuna.recommend.config import RecommendConfig
from kizuna.recommend.data import Catalogue, People
from kizuna.recommend.gift import favourite_items
from kizuna.recommend.signals import Signals

REASONS = ("again", "cf", "affinity", "segment", "popular", "most_bought", "for_you")
AGAIN, CF, AFFINITY, SEGMENT, POPULAR, MOST_BOUGHT, FOR_YOU = range(len(REASONS))


@dataclass(frozen=True)
class CustomerLists:
    """Row k is ``people.ids[k]``: item positions (-1 padded), reason codes, gift and reason."""

    items: NDArray[np.int64]
    reasons: NDArray[np.int8]
    gift: NDArray[np.int64]
    gift_reason: NDArray[np.int8]
    served_by: dict[str, int]


def _was_bought(
    model: personal.ForYouModel, rows: NDArray[np.int64], items: NDArray[np.int64]
) -> NDArray:
    if not items.size:
        return np.zeros(items.shape, dtype=bool)
    flat_rows = np.repeat(rows, items.shape[1])
    flat = np.maximum(items.ravel(), 0)
    hit = np.asarray(model.bought[flat_rows, flat]).ravel() > 0
    return hit.reshape(items.shape) & (items >= 0)


def _fallbacks(people: People, segments: dict[str, list[int]], shop: list[int], n: int):
    names = sorted(segments)
    code = {name: k + 1 for k, name in enumerate(names)}
    table = np.full((len(names) + 1, n), -1, dtype=np.int64)
    reasons = np.full((len(names) + 1, n), POPULAR, dtype=np.int8)
    table[0, : min(n, len(shop))] = shop[:n]
    for name in names:
        seg = segments[name][:n]
        merged = fill(seg, shop, n, set())
        table[code[name], : len(merged)] = merged
        reasons[code[name], : len(seg)] = SEGMENT
    of_person = np.array([code.get(s, 0) for s in people.segment], dtype=np.int64)
    return table, reasons, of_person


def assemble(
    signals: Signals,
    model: personal.ForYouModel,
    people: People,
    catalogue: Catalogue,
    config: RecommendConfig,
    segments: dict[str, list[int]],
    shop: list[int],
    shop_score: NDArray[np.float64],
) -> CustomerLists:
    """Every live customer's list and gift."""
    n = config.customer_n
    table, table_reasons, of_person = _fallbacks(people, segments, shop, n)
    items, reasons = table[of_person].copy(), table_reasons[of_person].copy()
    rows = signals.row_of(people.ids)
    has_orders = np.diff(signals.orders.indptr) > 0
    buyer = np.flatnonzero((rows >= 0) & has_orders[np.maximum(rows, 0)])
    top = personal.recommend(model, rows[buyer], catalogue.sellable, config, n)
    reasons[buyer] = np.where(_was_bought(model, rows[buyer], top), AGAIN, CF)
    items[buyer] = top
    browser = np.flatnonzero((rows >= 0) & ~has_orders[np.maximum(rows, 0)])
    for k, got in zip(
        browser,
        affinity_lists(signals.browsed, rows[browser], catalogue, shop_score, n),
        strict=True,
    ):
        if got:
            items[k], reasons[k] = -1, AFFINITY
            items[k, : len(got)] = got
    _top_up(items, reasons, np.concatenate([buyer, browser]), rows, model, table, of_person)
    favourite = favourite_items(signals, catalogue.sellable)
    fav = np.where(rows >= 0, favourite[np.maximum(rows, 0)], -1)
    gift = np.where(fav >= 0, fav, items[:, 0])
    gift_reason = np.where(fav >= 0, MOST_BOUGHT, FOR_YOU).astype(np.int8)
    served = {"model": len(buyer), "affinity": len(browser), "segment": 0, "popular": 0}
    cold = np.ones(len(people.ids), bool)
    cold[buyer] = cold[browser] = False
    served["segment"] = int((cold & (of_person > 0)).sum())
    served["popular"] = int((cold & (of_person == 0)).sum())
    return CustomerLists(items, reasons.astype(np.int8), gift, gift_reason, served)


def _top_up(
    items: NDArray[np.int64],
    reasons: NDArray,
    who: NDArray[np.int64],
    rows: NDArray[np.int64],
    model: personal.ForYouModel,
    table: NDArray[np.int64],
    of_person: NDArray[np.int64],
) -> None:
    """Fill the -1 holes of the given people from their fallback list (in place)."""
    n = items.shape[1]
    for k in who[(items[who] < 0).any(axis=1)]:
        have = [int(i) for i in items[k] if i >= 0]
        row = rows[k]
        start, end = model.bought.indptr[row], model.bought.indptr[row + 1]
        owned = model.bought.indices[start:end]
        skip = {int(i) for i in owned if not model.repeatable[i]}
        merged = fill(have, [int(i) for i in table[of_person[k]] if i >= 0], n, skip)
        items[k, len(have) : len(merged)] = merged[len(have) :]
        reasons[k, len(have) : len(merged)] = SEGMENT if of_person[k] else POPULAR
