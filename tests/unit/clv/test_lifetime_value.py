"""expected_clv: discounted expected purchases times expected spend, times margin."""

from __future__ import annotations

import numpy as np
import pytest

from kizuna.clv import BetaGeoModel, CustomerSummary, expected_clv
from kizuna.kit.errors import ValidationFailed

MODEL = BetaGeoModel().with_params(r=0.243, alpha=4.414, a=0.793, b=2.426)
SUMMARY = CustomerSummary(frequency=[0, 2, 7], recency=[0, 30.43, 35], T=[38.86] * 3)


def test_undiscounted_clv_is_expected_purchases_times_spend_times_margin() -> None:
    clv = expected_clv(MODEL, SUMMARY, [10.0, 20.0, 30.0], horizon_days=364, margin=0.3)
    purchases = MODEL.expected_purchases(SUMMARY, 52.0)
    np.testing.assert_allclose(clv, purchases * [10, 20, 30] * 0.3, rtol=1e-12)


def test_discounting_lowers_value_by_less_than_a_full_year_of_interest() -> None:
    flat = expected_clv(MODEL, SUMMARY, 25.0, horizon_days=365)
    discounted = expected_clv(MODEL, SUMMARY, 25.0, horizon_days=365, annual_discount_rate=0.1)
    assert np.all(discounted < flat) and np.all(discounted > flat / 1.1)


def test_longer_horizon_is_worth_more() -> None:
    one = expected_clv(MODEL, SUMMARY, 25.0, horizon_days=365, annual_discount_rate=0.1)
    three = expected_clv(MODEL, SUMMARY, 25.0, horizon_days=3 * 365, annual_discount_rate=0.1)
    assert np.all(three > one)


def test_bad_horizon_is_refused() -> None:
    with pytest.raises(ValidationFailed):
        expected_clv(MODEL, SUMMARY, 25.0, horizon_days=0)
