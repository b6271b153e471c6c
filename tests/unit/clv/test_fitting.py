"""Fit failures are errors that say why, never NaN; grouping and the estimator surface."""

from __future__ import annotations

import numpy as np
import pytest

from kizuna.clv import (
    BetaGeoModel,
    ClvFitError,
    CustomerSummary,
    FitOptions,
    NotFitted,
    ParetoNBDModel,
)
from kizuna.clv.models.fitting import group_rows
from kizuna.kit.errors import ValidationFailed

MODELS = [pytest.param(BetaGeoModel, id="bgnbd"), pytest.param(ParetoNBDModel, id="pnbd")]


@pytest.mark.parametrize("model_cls", MODELS)
class TestFitErrors:
    def test_fewer_than_ten_repeat_buyers(self, model_cls) -> None:
        # given 9 repeat buyers among 200 customers
        x = np.zeros(200)
        x[:9] = 1
        s = CustomerSummary(frequency=x, recency=x * 5, T=np.full(200, 20.0))
        with pytest.raises(ClvFitError) as err:
            model_cls().fit(s)
        assert "at least 10" in err.value.message and "has 9" in err.value.message
        assert isinstance(err.value, ValidationFailed)
        assert err.value.code == "clv_fit_failed"

    def test_one_customer(self, model_cls) -> None:
        with pytest.raises(ClvFitError):
            model_cls().fit(CustomerSummary(frequency=[3], recency=[10], T=[12]))

    def test_customers_without_any_repeat(self, model_cls) -> None:
        s = CustomerSummary(frequency=np.zeros(50), recency=np.zeros(50), T=np.full(50, 9.0))
        with pytest.raises(ClvFitError):
            model_cls().fit(s)

    def test_threshold_is_configurable(self, model_cls) -> None:
        s = CustomerSummary(frequency=[3], recency=[10], T=[12])
        with pytest.raises(ClvFitError, match="at least 2"):
            model_cls(FitOptions(min_repeat_buyers=2)).fit(s)

    def test_prediction_before_fit(self, model_cls) -> None:
        with pytest.raises(NotFitted):
            model_cls().expected_probability_alive(
                CustomerSummary(frequency=[1], recency=[1], T=[2])
            )


class TestUnidentifiedData:
    def test_clockwork_buyers_without_dropout_are_refused_not_nan(self) -> None:
        # given customers who all buy every week up to T, the same rate for everyone: there is no
        # heterogeneity and no dropout for r, α (→ ∞) or the dropout process to explain
        T = np.arange(20.0, 60.0)
        s = CustomerSummary(frequency=T, recency=T, T=T)
        with pytest.raises(ClvFitError):
            BetaGeoModel().fit(s)


class TestGroupRows:
    def test_distinct_rows_counts_and_inverse(self) -> None:
        x = np.array([1.0, 0.0, 1.0, 1.0])
        t = np.array([2.0, 0.0, 2.0, 3.0])
        g = group_rows(x, t)
        assert [c.tolist() for c in g.columns] == [[0.0, 1.0, 1.0], [0.0, 2.0, 3.0]]
        assert g.weight.tolist() == [1.0, 2.0, 1.0]
        assert g.inverse.tolist() == [1, 0, 1, 2]

    def test_grouped_fit_equals_ungrouped_likelihood(self) -> None:
        rng = np.random.default_rng(0)
        x = rng.integers(0, 4, 500).astype(float)
        t_x = np.where(x > 0, rng.integers(1, 10, 500), 0).astype(float)
        s = CustomerSummary(frequency=x, recency=t_x, T=np.full(500, 10.0))
        model = BetaGeoModel().with_params(r=0.5, alpha=3.0, a=0.8, b=2.5)
        per_row = sum(
            model.log_likelihood(CustomerSummary(frequency=[a], recency=[b], T=[10.0]))
            for a, b in zip(x[:50], t_x[:50], strict=True)
        )
        head = CustomerSummary(frequency=x[:50], recency=t_x[:50], T=np.full(50, 10.0))
        assert model.log_likelihood(head) == pytest.approx(per_row, rel=1e-12)
        assert model.log_likelihood(s) < 0


class TestResult:
    def test_result_is_plain_json_data(self, cdnow_summary: CustomerSummary) -> None:
        import json

        result = BetaGeoModel().fit(cdnow_summary).result.to_dict()
        assert json.loads(json.dumps(result))["model"] == "bgnbd"
        assert set(result["params"]) == {"r", "alpha", "a", "b"}

    def test_custom_starting_values_reach_the_same_optimum(self, cdnow_summary) -> None:
        start = FitOptions(initial={"r": 5.0, "alpha": 0.5, "a": 3.0, "b": 0.2})
        a = BetaGeoModel(start).fit(cdnow_summary).result
        b = BetaGeoModel().fit(cdnow_summary).result
        assert a.log_likelihood == pytest.approx(b.log_likelihood, abs=1e-6)
