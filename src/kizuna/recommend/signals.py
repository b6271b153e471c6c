"""Interaction matrices built from the loaded record (pure: arrays in, sparse matrices out).

Rows of the customer matrices are the customers with any purchase or browsing, in id order;
columns are catalogue positions. ``orders`` counts the distinct orders containing an item,
``last_day`` holds the latest such order (epoch days; same sparsity pattern and order of
stored values as ``orders``), ``browsed`` counts the distinct days on
which the customer viewed or carted it, ``visits`` is one binary row per visit (actor-day).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from numpy.typing import NDArray

from kizuna.recommend.data import Browsing, Purchases


@dataclass(frozen=True)
class Signals:
    customers: NDArray[np.int64]
    orders: sp.csr_matrix
    last_day: sp.csr_matrix
    browsed: sp.csr_matrix
    visits: sp.csr_matrix
    anchor: float

    def row_of(self, customer_ids: NDArray[np.int64]) -> NDArray[np.int64]:
        """Row of each customer id, -1 for customers without any signal."""
        pos = np.searchsorted(self.customers, customer_ids)
        pos = np.minimum(pos, max(len(self.customers) - 1, 0))
        found = len(self.customers) > 0
        hit = (self.customers[pos] == customer_ids) if found else np.zeros(len(pos), bool)
        return np.where(hit, pos, -1)


def _unique_rows(*keys: NDArray[np.int64]) -> NDArray[np.bool_]:
    """Mask of the first occurrence of each distinct key tuple, in the arrays' current order."""
    order = np.lexsort(keys[::-1])
    first = np.ones(len(order), dtype=bool)
    if len(order) > 1:
        same = np.ones(len(order) - 1, dtype=bool)
        for key in keys:
            same &= key[order][1:] == key[order][:-1]
        first[1:] = ~same
    mask = np.zeros(len(order), dtype=bool)
    mask[order[first]] = True
    return mask


def _per_pair(
    rows: NDArray[np.int64], purchases: Purchases, shape: tuple[int, int]
) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """Distinct orders and latest day per (row, item), as two matrices of the same pattern."""
    if not len(rows):
        return sp.csr_matrix(shape), sp.csr_matrix(shape)
    items, orders, days = purchases.item, purchases.order, purchases.day
    sort = np.lexsort((orders, items, rows))
    r, c, o, d = rows[sort], items[sort], orders[sort], days[sort]
    new_pair = np.ones(len(r), dtype=bool)
    new_pair[1:] = (r[1:] != r[:-1]) | (c[1:] != c[:-1])
    new_order = new_pair.copy()
    new_order[1:] |= o[1:] != o[:-1]
    starts = np.flatnonzero(new_pair)
    count = np.add.reduceat(new_order.astype(np.float64), starts)
    last = np.maximum.reduceat(d, starts)
    coords = (r[starts], c[starts])
    return sp.csr_matrix((count, coords), shape=shape), sp.csr_matrix((last, coords), shape=shape)


def build_signals(purchases: Purchases, browsing: Browsing, n_items: int) -> Signals:
    """The matrices for ``n_items`` catalogue positions."""
    known = browsing.customer >= 0
    customers = np.unique(np.concatenate([purchases.customer, browsing.customer[known]]))
    shape = (len(customers), n_items)
    rows = np.searchsorted(customers, purchases.customer)
    orders, last_day = _per_pair(rows, purchases, shape)
    b_rows = np.searchsorted(customers, browsing.customer[known])
    b_items, b_visits = browsing.item[known], browsing.visit[known]
    seen = _unique_rows(b_visits, b_items)
    browsed = sp.csr_matrix((np.ones(int(seen.sum())), (b_rows[seen], b_items[seen])), shape=shape)
    all_seen = _unique_rows(browsing.visit, browsing.item)
    n_visits = int(browsing.visit.max()) + 1 if len(browsing.visit) else 0
    visits = sp.csr_matrix(
        (np.ones(int(all_seen.sum())), (browsing.visit[all_seen], browsing.item[all_seen])),
        shape=(n_visits, n_items),
    )
    days = np.concatenate([purchases.day, browsing.day])
    anchor = float(days.max()) if len(days) else 0.0
    return Signals(customers, orders, last_day, browsed, visits, anchor)


def buyers_matrix(signals: Signals) -> sp.csr_matrix:
    """Binary customer × item matrix of purchases."""
    out = signals.orders.copy()
    out.data = np.ones_like(out.data)
    return out
