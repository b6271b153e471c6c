"""BG/NBD against Fader, Hardie & Lee (2005) on CDNOW, and against lifetimes 0.11.3's output."""

from __future__ import annotations

import numpy as np
import pytest

from kizuna.clv import BetaGeoModel, CustomerSummary
from kizuna.clv.models.fitting import Design

# lifetimes 0.11.3 (BetaGeoFitter, CDNOW summary) fitted parameters and outputs, computed once in
# a separate environment; lifetimes is not a dependency of kizuna.
LIFETIMES_PARAMS = dict(r=0.24259292828, alpha=4.413532265272, a=0.792885966441, b=2.425752382626)
ROWS = [(0, 0.0, 38.86), (1, 1.71, 38.86), (2, 30.43, 38.86), (7, 35.0, 38.86), (20, 37.0, 38.0),
        (5, 2.0, 30.0)]  # fmt: skip
LIFETIMES_COND_39 = [0.1947808579395, 0.2032506242562, 1.225910424174, 4.387529317801,
                     13.58599930078, 0.005549894683165]  # fmt: skip
LIFETIMES_P_ALIVE = [1.0, 0.212227388072, 0.726609136799, 0.843786907623, 0.943410910832,
                     0.001210664358]  # fmt: skip


def _rows() -> CustomerSummary:
    x, t_x, T = (np.array(c, dtype=float) for c in zip(*ROWS, strict=True))
    return CustomerSummary(frequency=x, recency=t_x, T=T, time_unit="week")


@pytest.fixture(scope="module")
def fitted(cdnow_summary: CustomerSummary) -> BetaGeoModel:
    return BetaGeoModel().fit(cdnow_summary)


@pytest.mark.shared_data
class TestCdnowFit:
    def test_parameters_match_the_paper(self, fitted: BetaGeoModel) -> None:
        published = {"r": 0.243, "alpha": 4.414, "a": 0.793, "b": 2.426}
        for name, value in published.items():
            assert fitted.params[name] == pytest.approx(value, rel=2e-3), name

    def test_log_likelihood_matches_the_paper(self, fitted: BetaGeoModel) -> None:
        assert round(fitted.result.log_likelihood, 1) == -9582.4

    def test_standard_errors_are_those_of_the_observed_information(self, fitted) -> None:
        # lifetimes' autograd Hessian gives 0.01256, 0.3782, 0.1857, 0.7053
        ses = fitted.result.standard_errors
        expected = {"r": 0.012557, "alpha": 0.378221, "a": 0.185719, "b": 0.705345}
        for name, value in expected.items():
            assert ses[name] == pytest.approx(value, rel=1e-3), name

    def test_grouping_collapses_identical_rows(self, fitted: BetaGeoModel) -> None:
        assert (fitted.result.n_customers, fitted.result.n_groups) == (2357, 1016)

    def test_paper_example_customer_expects_1_226_purchases_in_39_weeks(self, fitted) -> None:
        one = CustomerSummary(frequency=[2], recency=[30.43], T=[38.86])
        assert fitted.expected_purchases(one, 39.0)[0] == pytest.approx(1.226, abs=5e-4)

    def test_holdout_total_is_within_13_percent_of_the_actual_1882(self, fitted, cdnow_summary):
        # Σ E[Y(39) | x, t_x, T] = 1653.4 here and in lifetimes (same parameters, same formula)
        total = fitted.expected_purchases(cdnow_summary, 39.0).sum()
        assert total == pytest.approx(1653.4, abs=0.5)
        assert abs(total - 1882) / 1882 < 0.13


class TestAgainstLifetimes:
    model = BetaGeoModel().with_params(**LIFETIMES_PARAMS)

    def test_conditional_expectations(self) -> None:
        got = self.model.expected_purchases(_rows(), 39.0)
        np.testing.assert_allclose(got, LIFETIMES_COND_39, rtol=1e-9)

    def test_probability_alive(self) -> None:
        got = self.model.expected_probability_alive(_rows())
        np.testing.assert_allclose(got, LIFETIMES_P_ALIVE, rtol=1e-9)

    def test_new_customer_expectation(self) -> None:
        got = self.model.expected_purchases_new_customer(np.array([1.0, 39.0, 78.0]))
        np.testing.assert_allclose(got, [0.053184736896, 1.195016228446, 1.857971703528], rtol=1e-9)


class TestClosedForms:
    model = BetaGeoModel().with_params(**LIFETIMES_PARAMS)

    def test_no_purchase_probability_is_alive_times_no_arrival_plus_dead(self) -> None:
        # P(alive) · ((α+T)/(α+T+t))^(r+x) + 1 − P(alive): FHL's posterior of λ given alive
        s, t = _rows(), 90 / 7
        p_alive = self.model.expected_probability_alive(s)
        r, alpha = LIFETIMES_PARAMS["r"], LIFETIMES_PARAMS["alpha"]
        quiet = ((alpha + s.T) / (alpha + s.T + t)) ** (r + s.frequency)
        expected = p_alive * quiet + 1 - p_alive
        np.testing.assert_allclose(self.model.expected_churn_risk(s, days=90), expected, rtol=1e-12)

    def test_next_purchase_time_closed_form_equals_the_generic_bisection(self) -> None:
        s = _rows()
        closed = self.model.expected_time_to_next_purchase(s, quantile=0.5)
        generic = super(BetaGeoModel, self.model).expected_time_to_next_purchase(s, quantile=0.5)
        np.testing.assert_allclose(closed, generic, rtol=1e-8)

    def test_gradient_equals_finite_differences(self) -> None:
        d = Design.build(*(np.array(c, dtype=float) for c in zip(*ROWS, strict=True)))
        p = np.array(list(LIFETIMES_PARAMS.values()))
        _, analytic = BetaGeoModel._loglik_and_grad(p, d)
        h = 1e-6
        numeric = [
            (d.weight @ BetaGeoModel._loglik(p * np.exp(h * e), d)
             - d.weight @ BetaGeoModel._loglik(p * np.exp(-h * e), d)) / (2 * h)
            for e in np.eye(4)
        ]  # fmt: skip
        np.testing.assert_allclose(analytic, numeric, rtol=1e-6, atol=1e-8)

    def test_next_purchase_date_is_calibration_end_plus_median_days(self) -> None:
        s = CustomerSummary(
            frequency=[2], recency=[30.43], T=[38.86], calibration_end=np.datetime64("1997-09-30")
        )
        weeks = self.model.expected_time_to_next_purchase(s)[0]
        date = self.model.expected_next_purchase_date(s)[0]
        assert date == np.datetime64("1997-09-30") + int(np.ceil(weeks * 7))
