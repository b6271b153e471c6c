"""Pure rules: integer arithmetic, calendar, earn rules, benefit costs, stage decisions, gap
messages, cart pricing, lot consumption order and coupon codes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kizuna.loyalty.benefit_types import BirthdayGift, Discount, FreeShipping, StageActivity
from kizuna.loyalty.calc import percent_of, pro_rata
from kizuna.loyalty.coupons import ALPHABET, new_code, normalise_code
from kizuna.loyalty.dates import add_months, rolling_drop, rolling_start, year_bounds
from kizuna.loyalty.earn_rules import EarnContext, compute_earn
from kizuna.loyalty.ledger.common import lot_expiry
from kizuna.loyalty.ledger.core import plan_consumption
from kizuna.loyalty.programme import default_programme
from kizuna.loyalty.quote import Cart, CartLine, price_goods, usable_points
from kizuna.loyalty.stages import decide, gap_message

P = default_programme()


class TestCalc:
    def test_percent_rounds_down_by_default(self) -> None:
        assert percent_of(3333, Decimal("1.5")) == 49
        assert percent_of(3333, Decimal("1.5"), "half_up") == 50

    @given(
        total=st.integers(0, 100_000),
        parts=st.lists(st.integers(1, 50_000), min_size=1, max_size=8),
    )
    def test_cumulative_pro_rata_never_overshoots_and_ends_exact(self, total, parts) -> None:
        whole = sum(parts)
        done, seen = 0, 0
        for part in parts:
            seen += part
            step = pro_rata(total, seen, whole) - done
            assert step >= 0
            done += step
        assert done == total


class TestDates:
    def test_month_arithmetic_clips_to_month_end(self) -> None:
        assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
        assert add_months(date(2027, 3, 31), -13) == date(2026, 2, 28)

    def test_fiscal_year(self) -> None:
        assert year_bounds(date(2026, 11, 25), 4) == (date(2026, 4, 1), date(2027, 3, 31))
        assert year_bounds(date(2027, 2, 1), 4) == (date(2026, 4, 1), date(2027, 3, 31))

    @given(st.dates(date(2000, 1, 1), date(2090, 1, 1)), st.integers(1, 36))
    def test_rolling_drop_is_the_first_day_the_window_no_longer_holds_it(self, day, months) -> None:
        drop = rolling_drop(day, months)
        assert rolling_start(drop, months) > day
        assert rolling_start(drop - timedelta(days=1), months) <= day

    def test_points_expire_after_the_end_of_the_month_a_year_on(self) -> None:
        expiry = lot_expiry(P, datetime(2026, 5, 10, 3, tzinfo=UTC))
        assert expiry == datetime(2027, 5, 31, 15, tzinfo=UTC)  # 2027-06-01 00:00 JST


class TestEarnRules:
    def ctx(self, **kw) -> EarnContext:
        base = {"amount": 10_000, "stage": "gold", "on": date(2026, 5, 11)}
        return EarnContext(**(base | kw))

    def test_base_rate_by_stage(self) -> None:
        assert compute_earn(P.earn_rules, self.ctx(), "floor").points == 200

    def test_step_up_after_spend_in_the_period(self) -> None:
        result = compute_earn(P.earn_rules, self.ctx(period_spend_before=100_000), "floor")
        assert [(ln.rule_id, ln.points) for ln in result.lines] == [("base", 200), ("step_up", 50)]

    def test_only_the_largest_multiplier_applies(self) -> None:
        # the 10th (×2) for a customer away 200 days (×3): base 200 → +400, not +200 +400
        ctx = self.ctx(on=date(2026, 5, 10), days_since_last_order=200)
        result = compute_earn(P.earn_rules, ctx, "floor")
        assert [(ln.rule_id, ln.points) for ln in result.lines] == [("base", 200), ("winback", 400)]

    def test_fixed_bonus_for_an_event(self) -> None:
        result = compute_earn(P.earn_rules, self.ctx(amount=0, event="review"), "floor")
        assert result.points == 100 and result.lines[0].label == "100 bonus points for review"


class TestBenefitCosts:
    def test_each_type_costs_what_its_model_says(self) -> None:
        activity = StageActivity(
            members=10, birthdays=2, orders=40, spend=400_000, orders_from={3000: 30}
        )
        assert Discount(percent=Decimal(3)).monthly_cost(activity) == 12_000
        assert FreeShipping(min_order_yen=3000, fee_yen=600).monthly_cost(activity) == 18_000
        assert BirthdayGift(value_yen=1000).monthly_cost(activity) == 2_000
        assert FreeShipping(min_order_yen=3000).label("ja") == "¥3,000以上で送料無料"


class TestDecide:
    today = date(2026, 11, 25)

    @pytest.mark.parametrize(
        ("current", "short", "qualifying", "expected"),
        [
            pytest.param(None, None, 60_000, ("gold", None, "joined"), id="first_evaluation"),
            pytest.param("silver", None, 60_000, ("gold", None, "promoted"), id="promotion"),
            pytest.param("gold", None, 60_000, ("gold", None, None), id="still_gold"),
            pytest.param(
                "gold",
                None,
                1_000,
                ("gold", date(2026, 11, 25), "grace_started"),
                id="grace_starts",
            ),
            pytest.param(
                "gold", date(2026, 11, 1), 1_000, ("gold", date(2026, 11, 1), None), id="in_grace"
            ),
            pytest.param(
                "gold", date(2026, 10, 1), 1_000, ("silver", None, "demoted"), id="grace_over"
            ),
            pytest.param(
                "gold", date(2026, 11, 1), 60_000, ("gold", None, None), id="qualifies_again"
            ),
            pytest.param(
                "bronze", None, 0, ("silver", None, "programme_changed"), id="stage_removed"
            ),
        ],
    )
    def test_the_rule(self, current, short, qualifying, expected) -> None:
        result = decide(P, current, short, qualifying, self.today)
        assert (result.stage, result.short_since, result.reason) == expected


class TestGapMessage:
    def test_spend_gap_in_both_languages(self) -> None:
        silver, gold = P.stages[0], P.stages[1]
        deadline = date(2027, 3, 31)
        assert gap_message(P, silver, gold, 3200, deadline, "en") == (
            "¥3,200 more to Gold by 2027-03-31"
        )
        assert gap_message(P, silver, gold, 3200, deadline, "ja") == (
            "ゴールドまであと¥3,200（2027年3月31日まで）"
        )
        assert gap_message(P, silver, gold, 3200, None, "en") == "¥3,200 more to Gold"


class TestPricing:
    def test_subscription_discount_stacks_on_the_stage_discount(self) -> None:
        gold = P.stages[1]
        goods = price_goods(P, gold, Cart((CartLine("S", 1, 10_000, subscription=True),)))
        assert (goods.stage_discount, goods.subscription_discount) == (300, 1000)
        compound = P.model_copy(
            update={"pricing": P.pricing.model_copy(update={"subscription_stacking": "compound"})}
        )
        goods = price_goods(compound, gold, Cart((CartLine("S", 1, 10_000, subscription=True),)))
        assert (goods.stage_discount, goods.subscription_discount) == (300, 970)

    def test_volume_tiers(self) -> None:
        silver = P.stages[0]
        assert price_goods(P, silver, Cart((CartLine("A", 1, 9_999),))).volume_discount == 0
        assert price_goods(P, silver, Cart((CartLine("A", 1, 10_000),))).volume_discount == 500
        assert price_goods(P, silver, Cart((CartLine("A", 1, 40_000),))).volume_discount == 1200

    def test_usable_points_are_capped(self) -> None:
        assert usable_points(P, 5_000, 3_000) == 3_000
        assert usable_points(P, -20, 3_000) == 0


@dataclass
class FakeLot:
    id: int
    remaining: int


class TestConsumptionPlan:
    def test_takes_in_the_given_order_with_a_preferred_lot_first(self) -> None:
        lots = [FakeLot(1, 10), FakeLot(2, 10), FakeLot(3, 10)]
        plan = plan_consumption(lots, 15, first=lots[2])  # type: ignore[arg-type]
        assert [(lot.id, n) for lot, n in plan] == [(3, 10), (1, 5)]
        assert sum(n for _, n in plan_consumption(lots, 99)) == 30  # type: ignore[arg-type]


class TestCodes:
    def test_codes_use_the_unambiguous_alphabet_and_80_bits(self) -> None:
        codes = {new_code() for _ in range(200)}
        assert len(codes) == 200
        assert all(set(c.replace("-", "")) <= set(ALPHABET) for c in codes)

    def test_normalising_what_people_type(self) -> None:
        assert normalise_code("abcd efgh-ijkl mnop") == "ABCD-EFGH-1JK1-MN0P"
