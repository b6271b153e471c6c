"""Agreement with an independent implementation, live: ``lifetimes`` 0.11.3 (installed in the test
environment only, by the dev dependency group; never a runtime dependency of kizuna).

Both libraries fit the same data: Hardie's CDNOW calibration summary, the summary kizuna builds
itself from the raw 1/10 sample in days, and a simulated shop. Parameters agree to the optimisers'
tolerance, the maximised log-likelihoods to 1e-6 relative, and the per-customer predictions at the
same parameters to floating-point precision.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from lifetimes import BetaGeoFitter, GammaGammaFitter, ParetoNBDFitter

from kizuna.clv import BetaGeoModel, CustomerSummary, GammaGammaModel, ParetoNBDModel
from kizuna.clv.data import build_summary
from kizuna.clv.models.simulate import simulate_bgnbd, simulate_spend

TRANSACTION_MODELS = [
    pytest.param(BetaGeoModel, BetaGeoFitter, ("r", "alpha", "a", "b"), id="bgnbd"),
    pytest.param(ParetoNBDModel, ParetoNBDFitter, ("r", "alpha", "s", "beta"), id="pnbd"),
]


@pytest.fixture(scope="module")
def sample_in_days(cdnow_transactions) -> CustomerSummary:
    """The 1/10 sample summarised by kizuna, calibration to 1997-09-30, in days."""
    ids, dates, dollars = cdnow_transactions
    return build_summary(ids, dates, dollars, calibration_end="1997-09-30", time_unit="day")


@pytest.fixture(scope="module")
def simulated() -> CustomerSummary:
    """6,000 customers drawn from BG/NBD with spend from Gamma-Gamma."""
    rng = np.random.default_rng(11)
    truth = dict(r=0.5, alpha=6.0, a=0.6, b=3.0)
    s = simulate_bgnbd(truth, rng.uniform(20, 52, 6_000), rng=rng)
    spend = simulate_spend(dict(p=6.0, q=4.0, v=20.0), np.maximum(s.frequency, 1), rng=rng)
    return CustomerSummary(
        frequency=s.frequency,
        recency=s.recency,
        T=s.T,
        monetary=np.where(s.frequency > 0, spend, 0.0),
    )


def _datasets(request: pytest.FixtureRequest) -> dict[str, CustomerSummary]:
    return {
        name: request.getfixturevalue(name)
        for name in ("cdnow_summary", "sample_in_days", "simulated")
    }


def _lifetimes_fit(fitter_cls: Any, s: CustomerSummary) -> Any:
    return fitter_cls().fit(s.frequency, s.recency, s.T)


@pytest.mark.shared_data
@pytest.mark.parametrize(("ours_cls", "theirs_cls", "names"), TRANSACTION_MODELS)
@pytest.mark.parametrize("dataset", ["cdnow_summary", "sample_in_days", "simulated"])
class TestTransactionModels:
    def test_parameters_and_log_likelihood_agree(
        self, request, dataset, ours_cls, theirs_cls, names
    ) -> None:
        s: CustomerSummary = request.getfixturevalue(dataset)
        ours = ours_cls().fit(s)
        theirs = _lifetimes_fit(theirs_cls, s)
        for name in names:
            assert ours.params[name] == pytest.approx(theirs.params_[name], rel=2e-3), name
        # both sit at the same maximum: our log-likelihood at their parameters is no higher
        at_theirs = ours_cls().with_params(**theirs.params_.to_dict()).log_likelihood(s)
        assert at_theirs <= ours.result.log_likelihood + 1e-9 * abs(at_theirs)
        assert ours.result.log_likelihood == pytest.approx(at_theirs, rel=1e-6)

    def test_predictions_at_the_same_parameters_agree(
        self, request, dataset, ours_cls, theirs_cls, names
    ) -> None:
        s: CustomerSummary = request.getfixturevalue(dataset)
        theirs = _lifetimes_fit(theirs_cls, s)
        ours = ours_cls().with_params(**theirs.params_.to_dict())
        horizon = 39.0 if s.time_unit == "week" else 273.0
        expected = theirs.conditional_expected_number_of_purchases_up_to_time(
            horizon, s.frequency, s.recency, s.T
        )
        np.testing.assert_allclose(ours.expected_purchases(s, horizon), expected, rtol=1e-8)
        alive = theirs.conditional_probability_alive(s.frequency, s.recency, s.T)
        np.testing.assert_allclose(ours.expected_probability_alive(s), alive, rtol=1e-8)
        new = theirs.expected_number_of_purchases_up_to_time(horizon)
        assert ours.expected_purchases_new_customer(horizon) == pytest.approx(new, rel=1e-8)


@pytest.mark.shared_data
@pytest.mark.parametrize("dataset", ["cdnow_summary", "simulated"])
def test_gamma_gamma_agrees(request, dataset) -> None:
    s: CustomerSummary = request.getfixturevalue(dataset)
    assert s.monetary is not None
    repeat = s.frequency > 0
    theirs = GammaGammaFitter().fit(s.frequency[repeat], s.monetary[repeat])
    ours = GammaGammaModel().fit(s)
    for name in ("p", "q", "v"):
        assert ours.params[name] == pytest.approx(theirs.params_[name], rel=2e-3), name
    at_theirs = GammaGammaModel().with_params(**theirs.params_.to_dict())
    assert ours.result.log_likelihood == pytest.approx(at_theirs.log_likelihood(s), rel=1e-6)
    spend = theirs.conditional_expected_average_profit(s.frequency, s.monetary)
    np.testing.assert_allclose(at_theirs.expected_average_spend(s), spend, rtol=1e-8)
