"""Segments on every engine: each predicate type selects the customers it should, AND/OR/NOT
combine them, and the count, sample and CSV export agree."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from ibis.backends import BaseBackend
from sqlalchemy.orm import Session, sessionmaker

from kizuna.analytics.segments.compile import (
    SegmentBase,
    count,
    export_csv,
    sample,
    segment_members,
)
from kizuna.analytics.segments.definition import SegmentDefinition
from kizuna.catalog.schemas import ProductIn
from kizuna.catalog.service import upsert_products
from kizuna.customers.schemas import CustomerIn
from kizuna.customers.service import do_set_consent, upsert_customers
from kizuna.kit.db import session_scope
from tests.analytics.factories import AS_OF, ago, event, ids_of, order, orders, subscribe

Connect = Callable[[], BaseBackend]
PEOPLE = {
    # external id: (birth date, gender, prefecture, occupation)
    "TOKYO30F": (date(1990, 1, 1), "female", "東京都", "会社員"),
    "OSAKA40M": (date(1980, 8, 1), "male", "大阪府", "自営業"),
    "TOKYO60F": (date(1960, 7, 1), "female", "東京都", None),
    "NOBODY": (None, "unknown", None, None),
}


@pytest.fixture
def base(record: sessionmaker[Session], analytics: Connect) -> tuple[SegmentBase, dict[str, int]]:
    with session_scope(record) as s:
        upsert_products(s, [
            ProductIn("BEAN-1", "Beans", category_code="coffee"),
            ProductIn("TEA-1", "Sencha", category_code="tea"),
        ])  # fmt: skip
        upsert_customers(s, [
            CustomerIn(external_id=key, birth_date=birth, gender=gender, prefecture=pref,
                       occupation=job, registered_at=ago(800))
            for key, (birth, gender, pref, job) in PEOPLE.items()
        ])  # fmt: skip
        ids = ids_of(s, *PEOPLE)
        orders(s, [
            order("T30-1", "TOKYO30F", ago(200), 30_000, sku="TEA-1", channel="store"),
            order("T30-2", "TOKYO30F", ago(20), 30_000),
            order("O40-1", "OSAKA40M", ago(10), 8_000, channel="app"),
            order("T60-1", "TOKYO60F", ago(400), 3_000, sku="TEA-1"),
        ])  # fmt: skip
        event(s, "v1", "NOBODY", "product_view", ago(3))
        event(s, "c1", "NOBODY", "cart_add", ago(2))
        event(s, "c2", "OSAKA40M", "cart_add", ago(12))
        event(s, "v2", "TOKYO60F", "product_view", ago(1))
        subscribe(s, "S-1", "OSAKA40M", ago(10))
        do_set_consent(s, ids["TOKYO30F"], "email", True, source="test")
        do_set_consent(s, ids["OSAKA40M"], "email", True, source="test")
        do_set_consent(s, ids["OSAKA40M"], "email", False, source="test")
    return SegmentBase.build(analytics(), AS_OF), ids


def members(base: tuple[SegmentBase, dict[str, int]], where: dict[str, Any]) -> set[str]:
    segment, ids = base
    names = {cid: name for name, cid in ids.items()}
    definition = SegmentDefinition.from_data({"name": "t", "where": where})
    rows = segment_members(segment, definition).select("customer_id").to_pyarrow().to_pylist()
    return {names[r["customer_id"]] for r in rows}


CASES = [
    ({"type": "rank", "ranks": ["repeat"]}, {"TOKYO30F"}),
    ({"type": "rank", "ranks": ["hot_lead"]}, {"NOBODY"}),
    ({"type": "rfm", "score": "r_tier", "min": 5}, {"TOKYO30F", "OSAKA40M"}),
    ({"type": "field", "field": "spend_total", "min": 10_000}, {"TOKYO30F"}),
    ({"type": "field", "field": "age", "max": 39}, {"TOKYO30F"}),
    ({"type": "spend_in_window", "days": 30, "max": 10_000}, {"OSAKA40M", "TOKYO60F", "NOBODY"}),
    ({"type": "spend_in_window", "days": 30, "measure": "purchase_days", "min": 1},
     {"TOKYO30F", "OSAKA40M"}),
    ({"type": "purchase_date", "which": "first", "on_or_before": "2024-01-01"},
     {"TOKYO30F", "TOKYO60F"}),
    ({"type": "bought", "categories": ["tea"]}, {"TOKYO30F", "TOKYO60F"}),
    ({"type": "bought", "categories": ["tea"], "within_days": 365}, {"TOKYO30F"}),
    ({"type": "bought", "skus": ["BEAN-1"], "within_days": 30}, {"TOKYO30F", "OSAKA40M"}),
    ({"type": "viewed", "categories": ["coffee"], "within_days": 7}, {"NOBODY", "TOKYO60F"}),
    ({"type": "cart_abandoned", "within_days": 14}, {"NOBODY"}),
    ({"type": "subscription"}, {"OSAKA40M"}),
    ({"type": "member", "is_member": False}, set()),
    ({"type": "channel_used", "channels": ["store", "app"]}, {"TOKYO30F", "OSAKA40M"}),
    ({"type": "age_band", "bands": ["30s", "unknown"]}, {"TOKYO30F", "NOBODY"}),
    ({"type": "gender", "values": ["female"]}, {"TOKYO30F", "TOKYO60F"}),
    ({"type": "prefecture", "values": ["東京都"]}, {"TOKYO30F", "TOKYO60F"}),
    ({"type": "occupation", "values": ["自営業"]}, {"OSAKA40M"}),
    ({"type": "consent", "channel": "email"}, {"TOKYO30F"}),
    ({"type": "consent", "channel": "email", "granted": False}, {"OSAKA40M", "TOKYO60F", "NOBODY"}),
    ({"type": "problem", "is_problem": False}, set(PEOPLE)),
    ({"type": "not", "of": {"type": "prefecture", "values": ["東京都"]}}, {"OSAKA40M", "NOBODY"}),
    ({"type": "all", "of": [{"type": "gender", "values": ["female"]},
                            {"type": "any", "of": [{"type": "rank", "ranks": ["churned"]},
                                                   {"type": "consent", "channel": "email"}]}]},
     {"TOKYO30F", "TOKYO60F"}),
]  # fmt: skip


def test_each_predicate_selects_its_customers(base: tuple[SegmentBase, dict[str, int]]) -> None:
    # one shop per engine, every case checked (building the shop dominates the time)
    wrong = {}
    for i, (where, expected) in enumerate(CASES):
        got = members(base, where)
        if got != expected:
            wrong[f"{i}:{where['type']}"] = (sorted(got), sorted(expected))
    assert not wrong


def test_count_sample_and_export_agree(base: tuple[SegmentBase, dict[str, int]]) -> None:
    segment, ids = base
    definition = SegmentDefinition.from_data(
        {"name": "women", "where": {"type": "gender", "values": ["female"]}}
    )
    counted = count(segment, definition, by_rank=True)
    assert (counted.members, counted.customers) == (2, 4)
    assert counted.by_rank == {"repeat": 1, "churned": 1}
    preview = sample(segment, definition, limit=1)
    assert [row["customer_id"] for row in preview] == [ids["TOKYO30F"]]
    out = io.BytesIO()
    assert export_csv(segment, definition, out) == 2
    lines = out.getvalue().decode().splitlines()
    assert lines[0].startswith('"customer_id","rank"')
    assert len(lines) == 3
