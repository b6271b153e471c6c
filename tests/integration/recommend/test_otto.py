"""The session / cart path on real OTTO sessions (20 sessions, PROVENANCE.md): clicks become
product views and carts cart adds of anonymous visitors; related items and cart alternatives
then come from co-views alone and match a brute-force count over the fixture."""

from __future__ import annotations

import gzip
import json
import math
from collections import defaultdict
from datetime import UTC, datetime
from itertools import combinations

import pytest
from sqlalchemy.orm import Session, sessionmaker

from kizuna.catalog.models import Product
from kizuna.events.models import Event
from kizuna.kit.db import session_scope
from kizuna.recommend import RecommendConfig, alternatives_for, build_all, related_for
from kizuna.recommend.store import forget_stock
from tests.conftest import shared_file

pytestmark = pytest.mark.shared_data
KINDS = {"clicks": "product_view", "carts": "cart_add"}


def read_sessions() -> list[dict]:
    path = shared_file("otto_sample", "train_sample.jsonl.gz")
    with gzip.open(path, "rt") as f:
        return [json.loads(line) for line in f]


@pytest.fixture
def otto(sessions: sessionmaker[Session]) -> list[dict]:
    data = read_sessions()
    forget_stock()
    with session_scope(sessions) as s:
        aids = sorted({e["aid"] for row in data for e in row["events"]})
        s.add_all(Product(sku=str(aid), name=f"OTTO {aid}") for aid in aids)
        for row in data:
            for n, e in enumerate(row["events"]):
                if e["type"] in KINDS:
                    s.add(
                        Event(
                            event_key=f"otto-{row['session']}-{n}",
                            anonymous_id=f"otto-{row['session']}",
                            type=KINDS[e["type"]],
                            sku=str(e["aid"]),
                            occurred_at=datetime.fromtimestamp(e["ts"] / 1000, UTC),
                        )
                    )
    with session_scope(sessions) as s:
        build_all(s)
    return data


def co_view_scores(data: list[dict], shrink: float, weight: float) -> dict[str, dict[str, float]]:
    """Brute force: visits are (session, UTC day); shrunk cosine of visit co-occurrence."""
    visits: dict[tuple, set[str]] = defaultdict(set)
    for row in data:
        for e in row["events"]:
            if e["type"] in KINDS:
                day = datetime.fromtimestamp(e["ts"] / 1000, UTC).date()
                visits[(row["session"], day)].add(str(e["aid"]))
    seen: dict[str, int] = defaultdict(int)
    pairs: dict[tuple[str, str], int] = defaultdict(int)
    for items in visits.values():
        for aid in items:
            seen[aid] += 1
        for a, b in combinations(sorted(items), 2):
            pairs[(a, b)] += 1
    out: dict[str, dict[str, float]] = defaultdict(dict)
    for (a, b), c in pairs.items():
        sim = weight * c / math.sqrt(seen[a] * seen[b]) * c / (c + shrink)
        out[a][b] = out[b][a] = sim
    return out


def test_related_items_are_the_co_viewed_ones(
    otto: list[dict], sessions: sessionmaker[Session]
) -> None:
    config = RecommendConfig()
    truth = co_view_scores(otto, config.shrink, config.view_weight)
    # the most co-viewed articles of the fixture (a real OTTO shopper's browsing)
    busiest = sorted(truth, key=lambda aid: (-len(truth[aid]), aid))[:25]
    with session_scope(sessions) as s:
        for aid in busiest:
            got = related_for(s, aid, 10)
            expected = sorted(truth[aid].values(), reverse=True)[: len(got)]
            assert len(got) == min(10, len(truth[aid]))
            assert [p.score for p in got] == pytest.approx(expected, abs=1e-4)
            assert all(p.score == pytest.approx(truth[aid][p.sku], abs=1e-4) for p in got)


def test_alternatives_for_abandoned_carts(
    otto: list[dict], sessions: sessionmaker[Session]
) -> None:
    truth = co_view_scores(otto, RecommendConfig().shrink, RecommendConfig().view_weight)
    abandoned = [
        row
        for row in otto
        if any(e["type"] == "carts" for e in row["events"])
        and not any(e["type"] == "orders" for e in row["events"])
    ]
    assert len(abandoned) == 4  # PROVENANCE.md: sessions with carts but no order
    with session_scope(sessions) as s:
        for row in abandoned:
            cart = sorted({str(e["aid"]) for e in row["events"] if e["type"] == "carts"})
            alternatives = alternatives_for(s, cart, 8)
            neighbours = set().union(*(truth[aid] for aid in cart)) - set(cart)
            assert alternatives, cart
            assert len(alternatives) == min(8, len(neighbours))
            assert {p.sku for p in alternatives} <= neighbours
            assert not {p.sku for p in alternatives} & set(cart)
