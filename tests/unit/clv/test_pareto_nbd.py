"""Pareto/NBD against the published CDNOW estimates and lifetimes 0.11.3's output."""

from __future__ import annotations

import numpy as np
import pytest

from kizuna.clv import CustomerSummary, ParetoNBDModel

# lifetimes 0.11.3 (ParetoNBDFitter on the CDNOW summary), computed once in a separate environment.
LIFETIMES_PARAMS = dict(r=0.55326978681, alpha=10.577465616944, s=0.606185966349,
                        beta=11.667081172128)  # fmt: skip
LIFETIMES_LL = -9594.97392985988
ROWS = [(0, 0.0, 38.86), (1, 1.71, 38.86), (2, 30.43, 38.86), (7, 35.0, 38.86), (20, 37.0, 38.0),
        (5, 2.0, 30.0)]  # fmt: skip
LIFETIMES_COND_39 = [0.107060493955, 0.170982428441, 1.455127841497, 4.636197109514,
                     13.4719757127, 0.035257320308]  # fmt: skip
LIFETIMES_P_ALIVE = [0.295099575523, 0.167873012141, 0.869121995049, 0.936058931602,
                     0.984749912554, 0.008194525955]  # fmt: skip
# conditional_probability_of_n_purchases_up_to_time(0, 90/7, x, t_x, T): an independent derivation
LIFETIMES_P0_90_DAYS = [0.966847885974, 0.952486760548, 0.635535684561, 0.264154151355,
                        0.049559668859, 0.993958957749]  # fmt: skip


def _rows() -> CustomerSummary:
    x, t_x, T = (np.array(c, dtype=float) for c in zip(*ROWS, strict=True))
    return CustomerSummary(frequency=x, recency=t_x, T=T, time_unit="week")


@pytest.fixture(scope="module")
def fitted(cdnow_summary: CustomerSummary) -> ParetoNBDModel:
    return ParetoNBDModel().fit(cdnow_summary)


@pytest.mark.shared_data
class TestCdnowFit:
    def test_parameters_match_the_published_estimates(self, fitted: ParetoNBDModel) -> None:
        published = {"r": 0.553, "alpha": 10.578, "s": 0.606, "beta": 11.669}
        for name, value in published.items():
            assert fitted.params[name] == pytest.approx(value, rel=1e-2), name

    def test_log_likelihood(self, fitted: ParetoNBDModel) -> None:
        assert round(fitted.result.log_likelihood, 1) == -9595.0
        assert fitted.result.log_likelihood == pytest.approx(LIFETIMES_LL, abs=0.01)

    def test_log_likelihood_at_lifetimes_parameters(self, cdnow_summary) -> None:
        model = ParetoNBDModel().with_params(**LIFETIMES_PARAMS)
        assert model.log_likelihood(cdnow_summary) == pytest.approx(LIFETIMES_LL, rel=1e-10)

    def test_standard_errors_are_finite_and_positive(self, fitted: ParetoNBDModel) -> None:
        ses = fitted.result.standard_errors
        assert set(ses) == {"r", "alpha", "s", "beta"}
        assert ses["s"] == pytest.approx(0.187, rel=0.02)  # numerical Hessian in log space


class TestAgainstLifetimes:
    model = ParetoNBDModel().with_params(**LIFETIMES_PARAMS)

    def test_conditional_expectations(self) -> None:
        got = self.model.expected_purchases(_rows(), 39.0)
        np.testing.assert_allclose(got, LIFETIMES_COND_39, rtol=1e-9)

    def test_probability_alive(self) -> None:
        got = self.model.expected_probability_alive(_rows())
        np.testing.assert_allclose(got, LIFETIMES_P_ALIVE, rtol=1e-9)

    def test_churn_risk_equals_the_probability_of_zero_purchases(self) -> None:
        got = self.model.expected_churn_risk(_rows(), days=90)
        np.testing.assert_allclose(got, LIFETIMES_P0_90_DAYS, rtol=1e-8)

    def test_new_customer_expectation(self) -> None:
        got = self.model.expected_purchases_new_customer(np.array([1.0, 39.0, 78.0]))
        np.testing.assert_allclose(got, [0.051006694502, 1.213412544965, 1.90989679816], rtol=1e-9)


class TestNumericalCare:
    @pytest.mark.parametrize("eps", [1e-9, 1e-4])
    def test_likelihood_is_continuous_where_alpha_crosses_beta(self, eps: float) -> None:
        # the two hypergeometric branches (alpha >= beta, alpha < beta) must agree at the seam
        s = _rows()
        above = ParetoNBDModel().with_params(r=0.5, alpha=10 + eps, s=0.6, beta=10.0)
        below = ParetoNBDModel().with_params(r=0.5, alpha=10.0, s=0.6, beta=10 + eps)
        assert above.log_likelihood(s) == pytest.approx(below.log_likelihood(s), abs=100 * eps)

    def test_s_equal_one_uses_the_logarithmic_limit(self) -> None:
        s = _rows()
        at_one = (
            ParetoNBDModel()
            .with_params(r=0.5, alpha=10, s=1.0, beta=12)
            .expected_purchases(s, 39.0)
        )
        near = ParetoNBDModel().with_params(r=0.5, alpha=10, s=1 + 1e-7, beta=12)
        np.testing.assert_allclose(at_one, near.expected_purchases(s, 39.0), rtol=1e-5)

    def test_heavy_buyers_do_not_overflow(self) -> None:
        # given daily buyers, one still buying at T and one silent for the last 65 days
        s = CustomerSummary(frequency=[2000.0, 500.0], recency=[364.9, 300.0], T=[365.0, 365.0])
        model = ParetoNBDModel().with_params(r=0.5, alpha=2.0, s=0.6, beta=300.0)
        assert np.isfinite(model.log_likelihood(s))
        p_alive = model.expected_probability_alive(s)
        assert p_alive[0] > 0.99
        assert 0 < p_alive[1] < 1e-30  # at ~1.7 purchases a day, 65 silent days mean gone
