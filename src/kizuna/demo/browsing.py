"""On-site behaviour of the demo shop over the last six months, as sessions of events.

Five kinds of session: the browsing just before a recent logged-in order; casual browsing by
members (more for the active ones); abandoned carts in the last week (a cart, maybe a checkout,
and no order after it); hot leads (recent registrations without an order who look at products);
and anonymous visitors. About a handful of events per person.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import numpy as np

from kizuna.demo.baskets import Baskets, draw_products
from kizuna.demo.buying import MEMBER, Purchases
from kizuna.demo.calendar import DAY, Calendar
from kizuna.demo.people import People
from kizuna.demo.products import Catalogue, category_shares
from kizuna.events.schemas import EventIn

RECENT_DAYS = 180
SEARCHES = ("深煎り", "コーヒー豆 おすすめ", "デカフェ", "紅茶 ギフト", "ダージリン", "抹茶",
            "ほうじ茶", "焼き菓子", "お歳暮", "母の日", "マグカップ", "ドリッパー", "化粧水",
            "敏感肌", "ビタミン", "定期便", "送料無料", "ギフトセット")  # fmt: skip
LOGINS = ("password", "line", "app")
PRE_ORDER, BROWSE, ABANDONED, HOT_LEAD, ANONYMOUS = range(5)
_MINUTE = 60
_STEP = timedelta(minutes=2)


def sessions(
    rng: np.random.Generator, cal: Calendar, people: People, orders: Purchases, first: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(kind, person or -1, start seconds)`` of every session in the block."""
    recent = cal.end - RECENT_DAYS * DAY
    pre = np.flatnonzero((orders.at >= recent) & (orders.checkout == MEMBER) & (orders.plan < 0)
                         & (orders.channel != 2) & (rng.random(len(orders)) < 0.6))  # fmt: skip
    last = np.full(len(people), -1, dtype=np.int64)
    np.maximum.at(last, orders.person, orders.at)
    active = np.maximum(last, people.registered) >= recent
    browse = np.repeat(np.arange(len(people)), rng.poisson(np.where(active, 1.2, 0.25)))
    browse = browse[people.member[browse]]
    buyers = people.member & (first >= 0)
    abandon = np.flatnonzero(buyers & (rng.random(len(people)) < 0.04))
    hot = np.flatnonzero(people.member & (first < 0) & (people.registered >= cal.end - 120 * DAY)
                         & (rng.random(len(people)) < 0.5))  # fmt: skip
    anon = rng.poisson(0.3 * len(people))
    start = np.concatenate([
        orders.at[pre] - rng.integers(10, 40, len(pre)) * _MINUTE,
        cal.clock(rng, rng.integers(cal.days - RECENT_DAYS, cal.days, len(browse))),
        np.maximum(last[abandon] + 3600, cal.end - rng.integers(1800, 7 * DAY, len(abandon))),
        np.maximum(people.registered[hot], cal.end - rng.integers(1800, 30 * DAY, len(hot))),
        cal.clock(rng, rng.integers(cal.days - 90, cal.days, anon)),
    ])  # fmt: skip
    kind = np.repeat([PRE_ORDER, BROWSE, ABANDONED, HOT_LEAD, ANONYMOUS],
                     [len(pre), len(browse), len(abandon), len(hot), anon])  # fmt: skip
    person = np.concatenate([orders.person[pre], browse, abandon, hot, np.full(anon, -1)])
    keep = start < cal.end - _MINUTE * 20
    return kind[keep], person[keep], start[keep]


def event_records(
    rng: np.random.Generator,
    cal: Calendar,
    people: People,
    catalogue: Catalogue,
    orders: Purchases,
    baskets: Baskets,
    first: np.ndarray,
    size: int,
    first_number: int,
) -> list[EventIn]:
    """EventIn for the sessions of the first ``size`` people (and their share of anonymous
    visitors), numbered from ``first_number``."""
    kind, person, start = sessions(rng, cal, people, orders, first)
    size = len(kind)
    shares = np.cumsum(category_shares())
    taste = np.where(person[:, None] >= 0, people.affinity[np.maximum(person, 0)], shares)
    picks = np.stack([draw_products(rng, cal, catalogue, taste, start, gifts=False)
                      for _ in range(3)], axis=1)  # fmt: skip
    bought = _bought_products(orders, baskets, start, kind, person)
    picks[:, 0] = np.where(bought >= 0, bought, picks[:, 0])
    draws = rng.random((size, 5))
    views = rng.integers(1, 4, size)
    query = rng.integers(0, len(SEARCHES), size)
    login = rng.integers(0, len(LOGINS), size)
    anon = rng.integers(0, 2**62, size).tolist()
    anonymous_rank = np.cumsum(person < 0) - 1
    visitors = round(int((person < 0).sum()) * size / len(people))
    mine = np.where(person >= 0, person < size, anonymous_rank < visitors)
    starts = cal.to_datetimes(start)
    out: list[tuple] = []
    for n in np.flatnonzero(mine).tolist():
        k, p = int(kind[n]), int(person[n])
        steps = _steps(k, p >= 0, catalogue, picks[n], draws[n], int(views[n]),
                       SEARCHES[query[n]], LOGINS[login[n]])  # fmt: skip
        customer = people.external_id(p) if p >= 0 else None
        anonymous = None if customer else f"anon-{anon[n]:016x}"
        out.extend((t, starts[n] + _STEP * i, customer, anonymous, sku, props)
                   for i, (t, sku, props) in enumerate(steps))  # fmt: skip
    return [EventIn(event_key=f"E-{first_number + i + 1:09d}", type=e[0], occurred_at=e[1],
                    customer=e[2], anonymous_id=e[3], sku=e[4], properties=e[5])
            for i, e in enumerate(out)]  # fmt: skip


def _bought_products(
    orders: Purchases, baskets: Baskets, start: np.ndarray, kind: np.ndarray, person: np.ndarray
) -> np.ndarray:
    """For pre-order sessions, the first product of the order that followed them."""
    out = np.full(len(kind), -1, dtype=np.int64)
    pre = np.flatnonzero(kind == PRE_ORDER)
    if len(pre):
        key = orders.person.astype(np.float64) * 1e12 + orders.at
        target = np.searchsorted(key, person[pre] * 1e12 + start[pre], side="right")
        first_line = np.searchsorted(baskets.line_order, np.minimum(target, len(orders) - 1))
        out[pre] = baskets.product[np.minimum(first_line, len(baskets.product) - 1)]
    return out


def _steps(
    kind: int,
    member: bool,
    catalogue: Catalogue,
    picks: np.ndarray,
    u: np.ndarray,
    views: int,
    query: str,
    login: str,
) -> list[tuple[str, str | None, dict[str, Any]]]:
    """The events of one session as ``(type, sku, properties)``, two minutes apart."""
    steps: list[tuple[str, str | None, dict[str, Any]]] = []
    if member and (kind in (ABANDONED, HOT_LEAD) or u[0] < 0.5):
        steps.append(("login", None, {"method": login}))
    if kind in (BROWSE, ANONYMOUS):
        steps.append(("page_view", None, {"path": "/"}))
        if u[1] < 0.3:
            steps.append(("search", None, {"query": query}))
    for sku in picks[: 1 if kind == PRE_ORDER else views].tolist():
        steps.append(("product_view", catalogue.skus[sku], {}))
    if kind in (PRE_ORDER, ABANDONED) or (kind != ANONYMOUS and u[2] < 0.15):
        steps.append(("cart_add", catalogue.skus[picks[0]], {"quantity": 1}))
        if kind == BROWSE and u[3] < 0.4:
            steps.append(("cart_remove", catalogue.skus[picks[0]], {"quantity": 1}))
    if kind == PRE_ORDER or (kind == ABANDONED and u[4] < 0.5):
        steps.append(("checkout_start", None, {}))
    return steps
