"""Parameter recovery: data drawn from each model's own process is fitted back within its error."""

from __future__ import annotations

import numpy as np
import pytest

from kizuna.clv import BetaGeoModel, CustomerSummary, GammaGammaModel, ParetoNBDModel
from kizuna.clv.models.simulate import simulate_bgnbd, simulate_pnbd, simulate_spend

CASES = [
    pytest.param(BetaGeoModel, simulate_bgnbd, dict(r=0.243, alpha=4.414, a=0.793, b=2.426),
                 id="bgnbd"),
    pytest.param(ParetoNBDModel, simulate_pnbd, dict(r=0.553, alpha=10.578, s=0.606, beta=11.669),
                 id="pnbd"),
]  # fmt: skip


@pytest.mark.parametrize(("model_cls", "simulate", "truth"), CASES)
def test_fit_recovers_the_simulating_parameters(model_cls, simulate, truth) -> None:
    # given 20,000 customers acquired over 13 weeks and observed to week 39 (like CDNOW)
    rng = np.random.default_rng(20240501)
    s = simulate(truth, rng.uniform(26, 39, 20_000), rng=rng)
    # when fitted
    result = model_cls().fit(s).result
    # then every estimate is within 4 of its own standard errors of the truth
    for name, value in truth.items():
        z = (result.params[name] - value) / result.standard_errors[name]
        assert abs(z) < 4, f"{name}: {result.params[name]:.4f} vs {value} (z={z:.2f})"


def test_gamma_gamma_recovers_the_simulating_parameters() -> None:
    truth = dict(p=6.25, q=3.74, v=15.44)
    rng = np.random.default_rng(7)
    x = rng.integers(1, 10, 5_000).astype(float)
    s = CustomerSummary(frequency=x, recency=x, T=x + 1, monetary=simulate_spend(truth, x, rng=rng))
    result = GammaGammaModel().fit(s).result
    for name, value in truth.items():
        z = (result.params[name] - value) / result.standard_errors[name]
        assert abs(z) < 4, f"{name}: {result.params[name]:.4f} vs {value} (z={z:.2f})"


def test_simulated_mean_frequency_matches_the_model_expectation() -> None:
    truth = dict(r=0.243, alpha=4.414, a=0.793, b=2.426)
    s = simulate_bgnbd(truth, 39.0, n=500_000, rng=np.random.default_rng(1))
    expected = BetaGeoModel().with_params(**truth).expected_purchases_new_customer(39.0)[0]
    standard_error = s.frequency.std() / np.sqrt(len(s))
    assert abs(s.frequency.mean() - expected) < 4 * standard_error
    # nobody can drop out before a first repeat purchase: P(X(t)=0) = (α/(α+t))^r
    assert (s.frequency == 0).mean() == pytest.approx((4.414 / 43.414) ** 0.243, abs=3e-3)


def test_day_level_summary_is_whole_days() -> None:
    truth = dict(r=0.243, alpha=30.9, a=0.793, b=2.426)
    s = simulate_bgnbd(truth, np.full(1000, 300.5), rng=np.random.default_rng(2), time_unit="day",
                       whole_days=True)  # fmt: skip
    assert np.all(s.recency == np.floor(s.recency)) and np.all(s.T == 300)
