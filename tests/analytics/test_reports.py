"""The strategy table, the three policies' KPIs, cohorts and the funnel on every engine."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from ibis.backends import BaseBackend
from sqlalchemy.orm import Session, sessionmaker

from kizuna.analytics.cohorts import retention, retention_matrix
from kizuna.analytics.funnel import acquisition_funnel
from kizuna.analytics.kpis import new_customers_per_month, strategy_table
from kizuna.customers.schemas import CustomerIn
from kizuna.customers.service import upsert_customers
from kizuna.events.schemas import EventIn
from kizuna.events.service import store_events
from kizuna.kit.db import session_scope
from tests.analytics.factories import AS_OF, at, event, order, orders

Connect = Callable[[], BaseBackend]
REGISTERED = {
    "R1": date(2024, 4, 5), "R2": date(2024, 5, 3), "R3": date(2024, 5, 15),
    "R4": date(2024, 6, 1), "OLD": date(2023, 3, 1),
}  # fmt: skip


@pytest.fixture
def shop(record: sessionmaker[Session]) -> None:
    """Members registering in April–June with views, carts and first and second purchases,
    a guest's first purchase, an older customer, and anonymous visitors."""
    with session_scope(record) as s:
        upsert_customers(
            s, [CustomerIn(external_id=k, registered_at=at(d)) for k, d in REGISTERED.items()]
        )
        event(s, "r1v", "R1", "product_view", at(date(2024, 4, 10)))
        event(s, "r3v", "R3", "product_view", at(date(2024, 6, 25)))
        event(s, "r4c", "R4", "cart_add", at(date(2024, 6, 2)))
        store_events(s, [
            EventIn("a1", "page_view", at(date(2024, 4, 2)), anonymous_id="anon-1"),
            EventIn("a2", "page_view", at(date(2024, 4, 3)), anonymous_id="anon-2"),
            EventIn("a3", "page_view", at(date(2024, 4, 4)), anonymous_id="anon-2"),
        ])  # fmt: skip
        orders(s, [
            order("R1-1", "R1", at(date(2024, 4, 20)), 5_000),
            order("R1-2", "R1", at(date(2024, 5, 10)), 6_000),
            order("R2-1", "R2", at(date(2024, 5, 4)), 7_000),
            order("G-1", None, at(date(2024, 6, 10)), 8_000, email="guest@example.jp"),
            order("OLD-1", "OLD", at(date(2024, 1, 10)), 9_000),
            order("OLD-2", "OLD", at(date(2024, 4, 15)), 9_000),
        ])  # fmt: skip


def test_funnel_follows_each_month_of_registrations(shop: None, analytics: Connect) -> None:
    months = {m.month: m for m in acquisition_funnel(analytics(), AS_OF, months=3)}
    assert list(months) == ["2024-04", "2024-05", "2024-06"]
    april, may, june = months["2024-04"], months["2024-05"], months["2024-06"]
    assert (april.visitors, april.leads, april.hot_leads, april.converted_leads) == (3, 1, 1, 1)
    assert (may.visitors, may.leads, may.hot_leads, may.converted_leads) == (0, 2, 0, 1)
    assert (june.visitors, june.leads, june.hot_leads, june.converted_leads) == (2, 1, 1, 0)
    # first purchases of the month, guests included; OLD's first was in January
    assert [m.new_customers for m in months.values()] == [1, 1, 1]
    assert april.to_dict()["lead_rate"] == pytest.approx(1 / 3)
    assert may.conversion_rate == 0.5


def test_cohort_retention_by_first_purchase_month(shop: None, analytics: Connect) -> None:
    cells = retention(analytics(), AS_OF, months=3)
    got = {(c.cohort, c.offset): (c.cohort_size, c.active, c.revenue) for c in cells}
    assert got == {
        ("2024-04", 0): (1, 1, 5_000),
        ("2024-04", 1): (1, 1, 6_000),
        ("2024-05", 0): (1, 1, 7_000),
        ("2024-06", 0): (1, 1, 8_000),
    }
    heatmap = retention_matrix(cells)
    assert heatmap["retention"][0] == [1.0, 1.0]
    assert heatmap["retention"][1] == [1.0, None]


def test_second_purchase_rate_within_90_days(shop: None, analytics: Connect) -> None:
    rows = {
        r["month"]: r for r in new_customers_per_month(analytics(), date(2024, 8, 31), months=5)
    }
    assert rows["2024-04"]["second_purchase_rate"] == 1.0
    assert rows["2024-05"]["second_purchase_rate"] == 0.0
    # the June customer's 90 days are not over yet: not judged
    assert (rows["2024-06"]["new_customers"], rows["2024-06"]["second_purchase_rate"]) == (1, None)
    assert "2024-01" not in rows


def test_strategy_table(shop: None, analytics: Connect) -> None:
    table = {row.rank: row for row in strategy_table(analytics(), AS_OF, period_days=90)}
    assert [table[r].customers for r in ("lead", "hot_lead", "new", "repeat")] == [0, 2, 2, 2]
    # OLD was new on April 1 and is a repeat customer now: the only "new" at the start, upgraded
    assert (table["new"].customers_at_start, table["new"].upgrade_rate) == (1, 1.0)
    assert table["new"].churn_rate == 0.0
    assert sum(row.share_of_revenue for row in table.values()) == pytest.approx(1.0)
    assert table["repeat"].average_spend_12m == (5_000 + 6_000 + 18_000) / 2
    assert table["problem"].upgrade_rate is None
    assert table["loyal"].services.startswith("Member-only")
