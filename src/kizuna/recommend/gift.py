"""Gift pick: the product a customer buys most often (a birthday present they will surely like).

"Most often" is the number of distinct orders containing the item; ties go to the item bought
most recently, then to the lower catalogue position. Only sellable items qualify; a customer
whose favourites are all unavailable (or who never bought) gets the first item of their "for
you" list, and that failing, their segment's best-seller. Pure: arrays in, picks out.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from kizuna.recommend.signals import Signals


def favourite_items(signals: Signals, sellable: NDArray[np.bool_]) -> NDArray[np.int64]:
    """Per customer row, the sellable item bought on the most orders (-1 when none)."""
    orders = signals.orders.tocoo()
    ok = sellable[orders.col]
    rows, cols, count = orders.row[ok], orders.col[ok], orders.data[ok]
    when = signals.last_day.data[ok]
    order = np.lexsort((cols, -when, -count, rows))
    rows, cols = rows[order], cols[order]
    first = np.ones(len(rows), dtype=bool)
    first[1:] = rows[1:] != rows[:-1]
    out = np.full(signals.orders.shape[0], -1, dtype=np.int64)
    out[rows[first]] = cols[first]
    return out


def gift_pick(favourite: int, for_you: list[int], segment: list[int]) -> tuple[int, str] | None:
    """The gift and why: ``most_bought``, ``for_you`` or ``popular``; None when nothing fits."""
    if favourite >= 0:
        return favourite, "most_bought"
    if for_you:
        return for_you[0], "for_you"
    if segment:
        return segment[0], "popular"
    return None
