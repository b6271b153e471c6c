"""The demo shop generator, without a database: deterministic, Japanese, and shaped like a shop
whose customers churn (a buy-till-you-die process), check out as guests, subscribe and return."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest

from kizuna.customers.identity import normalise_identity
from kizuna.customers.models import GENDERS, IDENTITY_KINDS, REGISTRATION_CHANNELS
from kizuna.demo.block import Block, generate_blocks, shop_catalogue
from kizuna.demo.buying import INTERVALS
from kizuna.demo.calendar import make_calendar
from kizuna.events.models import EVENT_TYPES
from kizuna.kit.clock import start_of_day
from kizuna.kit.jp import PREFECTURES
from kizuna.orders.models import ORDER_CHANNELS, ORDER_STATUSES, SHIPMENT_STATUSES

SEED, TODAY = 20261124, date(2026, 11, 24)
END = start_of_day(TODAY)
KATAKANA = re.compile(r"^[ァ-ヶー]+$")


def shop(people: int, seed: int = SEED) -> list[Block]:
    return list(generate_blocks(people, seed, TODAY))


@pytest.fixture(scope="module")
def blocks() -> list[Block]:
    """1,200 people: a full block and a partial one."""
    return shop(1200)


def every(blocks: list[Block], name: str) -> list:
    return [item for block in blocks for item in getattr(block, name)]


class TestDeterminism:
    def test_the_same_seed_gives_the_same_shop(self) -> None:
        assert shop(300) == shop(300)

    def test_another_seed_gives_another_shop(self) -> None:
        assert every(shop(300), "customers") != every(shop(300, seed=7), "customers")

    def test_a_small_shop_is_the_start_of_a_larger_one(self, blocks: list[Block]) -> None:
        small = shop(300)
        kept = {c.external_id for c in every(small, "customers")}
        assert every(small, "customers") == [
            c for c in every(blocks, "customers") if c.external_id in kept
        ]
        assert every(small, "orders") == every(blocks, "orders")[: len(every(small, "orders"))]


class TestCustomers:
    def test_members_have_japanese_names_and_addresses(self, blocks: list[Block]) -> None:
        customers = every(blocks, "customers")
        assert 850 <= len(customers) <= 950  # about 75% of 1,200 people are members
        for c in customers:
            assert re.fullmatch(r"C\d{7}", c.external_id)
            assert c.family_name and c.given_name
            assert KATAKANA.match(c.family_kana) and KATAKANA.match(c.given_kana)
            assert c.prefecture in PREFECTURES
            assert re.fullmatch(r"\d{3}-\d{4}", c.postal_code)
            assert c.gender in GENDERS and c.registration_channel in REGISTRATION_CHANNELS
            assert c.registered_at.tzinfo is UTC and c.registered_at < END

    def test_prefectures_follow_population(self, blocks: list[Block]) -> None:
        counts = Counter(c.prefecture for c in every(blocks, "customers"))
        assert counts.most_common(1)[0][0] == "東京都"
        assert counts["東京都"] > counts["鳥取県"] * 5

    def test_identities_are_normalised_and_unique(self, blocks: list[Block]) -> None:
        pairs = [pair for c in every(blocks, "customers") for pair in c.identities]
        assert len(pairs) == len(set(pairs))
        assert all(kind in IDENTITY_KINDS for kind, _ in pairs)
        assert all(normalise_identity(kind, value) == value for kind, value in pairs)
        assert {"email", "phone", "member_number", "line_user_id", "app_id"} <= {
            k for k, _ in pairs
        }

    def test_emails_use_reserved_example_domains(self, blocks: list[Block]) -> None:
        emails = [v for c in every(blocks, "customers") for k, v in c.identities if k == "email"]
        assert all(e.split("@")[1].startswith("example.") for e in emails)


class TestOrders:
    def test_amounts_add_up_in_integer_yen(self, blocks: list[Block]) -> None:
        for order in every(blocks, "orders"):
            assert order.currency == "JPY" and 1 <= len(order.lines) <= 4
            assert all(ln.amount == ln.quantity * ln.unit_price - ln.discount for ln in order.lines)
            assert order.total >= 0 and order.points_used <= order.subtotal - order.discount
            if order.subtotal - order.discount >= 5000:
                assert order.shipping_fee == 0

    def test_orders_fall_in_the_two_years_before_today(self, blocks: list[Block]) -> None:
        orders = every(blocks, "orders")
        assert all(END - timedelta(days=730) <= o.placed_at < END for o in orders)
        assert [o.order_number for o in orders] == [f"D-{n:08d}" for n in range(1, len(orders) + 1)]
        assert {o.channel for o in orders} == set(ORDER_CHANNELS)
        assert {o.status for o in orders} <= set(ORDER_STATUSES)

    def test_most_are_delivered_and_about_two_percent_cancelled(self, blocks: list[Block]) -> None:
        statuses = Counter(o.status for o in every(blocks, "orders"))
        total = sum(statuses.values())
        assert statuses["delivered"] / total > 0.9
        assert 0.01 < statuses["cancelled"] / total < 0.03

    def test_guest_checkouts_are_about_a_sixth_and_some_use_a_member_email(
        self, blocks: list[Block]
    ) -> None:
        orders = every(blocks, "orders")
        guests = [o for o in orders if o.customer is None]
        assert 0.1 < len(guests) / len(orders) < 0.25
        member_emails = {
            v for c in every(blocks, "customers") for k, v in c.identities if k == "email"
        }
        assert sum(o.guest_email in member_emails for o in guests) > 50

    def test_customers_churn(self, blocks: list[Block]) -> None:
        last: dict[str, datetime] = {}
        for o in every(blocks, "orders"):
            if o.customer:
                last[o.customer] = max(last.get(o.customer, o.placed_at), o.placed_at)
        lapsed = sum(when < END - timedelta(days=365) for when in last.values())
        assert 0.1 < lapsed / len(last) < 0.5

    def test_december_is_busier_than_september(self, blocks: list[Block]) -> None:
        months = Counter(
            o.placed_at.astimezone(UTC).strftime("%Y-%m") for o in every(blocks, "orders")
        )
        assert months["2025-12"] > 1.5 * months["2025-09"]


class TestAftercare:
    def test_about_five_percent_of_members_subscribe(self, blocks: list[Block]) -> None:
        subs, members = every(blocks, "subscriptions"), every(blocks, "customers")
        assert 0.02 < len(subs) / len(members) < 0.1
        numbers = {o.order_number for o in every(blocks, "orders")}
        for s in subs:
            assert s.interval_days in INTERVALS and set(s.order_numbers) <= numbers
            assert (s.cancelled_at is not None) == (s.status == "cancelled")
            assert (s.next_date is not None and s.next_date >= TODAY) == (s.status == "active")

    def test_about_three_percent_of_orders_come_back(self, blocks: list[Block]) -> None:
        orders = {o.order_number: o for o in every(blocks, "orders")}
        returns = every(blocks, "returns")
        assert 0.015 < len(returns) / len(orders) < 0.045
        for r in returns:
            order = orders[r.order_number]
            assert order.status == "delivered" and order.placed_at < r.returned_at < END
            assert 0 < r.amount <= order.subtotal

    def test_shipments_follow_the_carriers_events(self, blocks: list[Block]) -> None:
        orders = {o.order_number: o for o in every(blocks, "orders")}
        shipments = every(blocks, "shipments")
        assert len({(s.carrier, s.tracking_number) for s in shipments}) == len(shipments)
        assert {s.carrier for s in shipments} == {"ヤマト運輸", "佐川急便", "日本郵便"}
        for s in shipments:
            assert orders[s.order_number].channel != "store"
            assert s.status in SHIPMENT_STATUSES and s.events[-1].status == s.status
            times = [e.at for e in s.events]
            assert times == sorted(times) and times[-1] < END


class TestBrowsing:
    def test_a_handful_of_events_per_person_of_every_kind(self, blocks: list[Block]) -> None:
        events = every(blocks, "events")
        assert 3 < len(events) / 1200 < 12
        kinds = {e.type for e in events}
        assert kinds == {"page_view", "product_view", "search", "cart_add", "cart_remove",
                         "checkout_start", "login"}  # fmt: skip
        assert kinds <= set(EVENT_TYPES)
        assert all(e.occurred_at < END for e in events)

    def test_hot_leads_and_abandoned_carts_near_today(self, blocks: list[Block]) -> None:
        buyers = {o.customer for o in every(blocks, "orders")}
        recent = [e for e in every(blocks, "events") if e.occurred_at >= END - timedelta(days=30)]
        assert any(e.customer and e.customer not in buyers and e.type == "product_view"
                   for e in recent)  # fmt: skip
        last_order = {}
        for o in every(blocks, "orders"):
            if o.customer:
                last_order[o.customer] = max(last_order.get(o.customer, o.placed_at), o.placed_at)
        assert any(e.type == "cart_add" and e.customer in last_order
                   and e.occurred_at > last_order[e.customer]
                   and e.occurred_at >= END - timedelta(days=7) for e in recent)  # fmt: skip


class TestCatalogue:
    def test_about_three_hundred_products_in_japanese_categories(self) -> None:
        _, catalogue = shop_catalogue(SEED, TODAY)
        items = catalogue.items
        assert 280 <= len(items) <= 320 and len({i.sku for i in items}) == len(items)
        assert {"コーヒー豆", "紅茶", "菓子", "食器", "雑貨", "スキンケア", "サプリメント"} <= {
            i.category_name for i in items
        }
        assert all(isinstance(i.price, int) and i.price >= 300 for i in items)
        assert {"out_of_stock", "discontinued"} <= {i.stock_status for i in items}


class TestCalendar:
    def test_black_friday_and_new_year_are_sales(self) -> None:
        cal = make_calendar(TODAY)
        sale_days = {cal.first + timedelta(days=int(d)) for d in cal.sale.nonzero()[0]}
        assert {date(2025, 11, 28), date(2026, 1, 1)} <= sale_days
        assert cal.mass[-1] == pytest.approx(cal.days)


def test_problem_customers_are_a_few_buyers(blocks: list[Block]) -> None:
    problems = every(blocks, "problems")
    buyers = {o.customer for o in every(blocks, "orders")}
    assert 1 <= len(problems) <= 10 and all(key in buyers for key, _ in problems)
