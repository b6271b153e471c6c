"""Gamma-Gamma against Fader & Hardie (2013) on CDNOW, and lifetimes 0.11.3's output."""

from __future__ import annotations

import numpy as np
import pytest

from kizuna.clv import ClvFitError, CustomerSummary, GammaGammaModel
from kizuna.kit.errors import ValidationFailed

LIFETIMES_PARAMS = dict(p=6.248802496079, q=3.744588460922, v=15.447748064916)


@pytest.fixture(scope="module")
def fitted(cdnow_summary: CustomerSummary) -> GammaGammaModel:
    return GammaGammaModel().fit(cdnow_summary)


@pytest.mark.shared_data
class TestCdnowFit:
    def test_parameters_match_the_note(self, fitted: GammaGammaModel) -> None:
        published = {"p": 6.25, "q": 3.74, "v": 15.44}
        for name, value in published.items():
            assert fitted.params[name] == pytest.approx(value, rel=2e-3), name

    def test_only_repeat_buyers_are_used(self, fitted: GammaGammaModel) -> None:
        assert fitted.result.n_customers == 946
        assert fitted.result.extra["excluded_customers"] == 1411

    def test_frequency_spend_correlation_is_reported(self, fitted: GammaGammaModel) -> None:
        # Fader & Hardie (2013) report 0.11 for CDNOW: weak, so the independence assumption holds
        assert fitted.result.extra["frequency_spend_correlation"] == pytest.approx(0.11, abs=0.01)

    def test_population_mean_spend(self, fitted: GammaGammaModel) -> None:
        assert fitted.expected_population_spend() == pytest.approx(35.17, abs=0.01)


class TestExpectedSpend:
    model = GammaGammaModel().with_params(**LIFETIMES_PARAMS)

    def test_matches_lifetimes_conditional_expected_average_profit(self) -> None:
        s = CustomerSummary(
            frequency=[1, 2, 6], recency=[1, 2, 6], T=[9, 9, 9], monetary=[11.77, 22.35, 50.0]
        )
        got = self.model.expected_average_spend(s)
        np.testing.assert_allclose(got, [18.911479869925, 24.658616189235, 48.988515835954], 1e-9)

    def test_customer_without_repeat_gets_the_population_mean(self) -> None:
        s = CustomerSummary(frequency=[0], recency=[0], T=[9], monetary=[0])
        assert self.model.expected_average_spend(s)[0] == self.model.expected_population_spend()

    def test_summary_without_spend_is_refused(self) -> None:
        with pytest.raises(ValidationFailed) as err:
            self.model.expected_average_spend(CustomerSummary(frequency=[1], recency=[1], T=[2]))
        assert err.value.field == "monetary"


class TestFitErrors:
    def test_zero_or_negative_spend_is_excluded_with_a_count(self) -> None:
        rng = np.random.default_rng(3)
        x = rng.integers(1, 6, 300).astype(float)
        m = rng.gamma(6.0, 35 / 6, 300)
        m[:5] = 0.0
        s = CustomerSummary(frequency=x, recency=x, T=x + 1, monetary=m)
        result = GammaGammaModel().fit(s).result
        assert (result.n_customers, result.extra["excluded_customers"]) == (295, 5)

    def test_too_few_repeat_buyers(self) -> None:
        s = CustomerSummary(frequency=[1, 2, 0], recency=[1, 2, 0], T=[3, 3, 3], monetary=[5, 6, 0])
        with pytest.raises(ClvFitError, match="at least 10"):
            GammaGammaModel().fit(s)


class TestSufficientStatistics:
    def test_likelihood_and_gradient_match_the_per_customer_form(self) -> None:
        from kizuna.clv.models.gamma_gamma import _Stats

        rng = np.random.default_rng(11)
        x = rng.integers(1, 8, 400).astype(float)
        m = rng.gamma(5.0, 7.0, 400)
        params = np.array([6.25, 3.74, 15.44])
        st = _Stats.of(x, m)
        ll, grad = GammaGammaModel._loglik_and_grad(params, st)
        assert ll == pytest.approx(GammaGammaModel._loglik(params, x, m).sum(), rel=1e-12)
        h = 1e-6
        numeric = [
            (GammaGammaModel._loglik_and_grad(params * np.exp(h * e), st)[0]
             - GammaGammaModel._loglik_and_grad(params * np.exp(-h * e), st)[0]) / (2 * h)
            for e in np.eye(3)
        ]  # fmt: skip
        np.testing.assert_allclose(grad, numeric, rtol=1e-6)
