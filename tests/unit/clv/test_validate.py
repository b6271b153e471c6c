"""Calibration vs holdout reports on CDNOW (FHL 2005, Figures 2-4)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from kizuna.clv import (
    BetaGeoModel,
    ParetoNBDModel,
    build_summary,
    holdout_report,
    repeat_tracking,
    tracking_report,
)
from kizuna.kit.errors import ValidationFailed

from .conftest import CALIBRATION_END, HOLDOUT_END


@pytest.fixture(scope="module")
def raw_summary(cdnow_transactions):
    return build_summary(*cdnow_transactions, calibration_end=CALIBRATION_END,
                         holdout_end=HOLDOUT_END)  # fmt: skip


@pytest.fixture(scope="module")
def tracking(cdnow_transactions):
    ids, dates, _ = cdnow_transactions
    return repeat_tracking(ids, dates, calibration_end=CALIBRATION_END, holdout_end=HOLDOUT_END)


@pytest.mark.shared_data
class TestHoldoutReport:
    def test_bgnbd_conditional_expectations_by_frequency(self, raw_summary) -> None:
        report = holdout_report(BetaGeoModel().fit(raw_summary), raw_summary)
        labels = ["0", "1", "2", "3", "4", "5", "6", "7+"]
        assert [b.frequency for b in report.by_frequency] == labels
        assert [b.customers for b in report.by_frequency] == [1411, 439, 214, 100, 62, 38, 29, 64]
        assert report.by_frequency[0].actual_mean == pytest.approx(0.2367, abs=1e-4)
        assert report.by_frequency[-1].predicted_mean == pytest.approx(6.157, abs=1e-3)
        assert report.actual_total == 1882
        assert report.predicted_total == pytest.approx(1653.4, abs=0.5)
        assert report.error_pct == pytest.approx(-12.15, abs=0.05)

    def test_pnbd_holdout_total(self, raw_summary) -> None:
        report = holdout_report(ParetoNBDModel().fit(raw_summary), raw_summary)
        assert report.predicted_total == pytest.approx(1665.5, abs=0.5)

    def test_report_is_json_ready(self, raw_summary) -> None:
        report = holdout_report(BetaGeoModel().fit(raw_summary), raw_summary).to_dict()
        assert json.loads(json.dumps(report))["by_frequency"][7]["frequency"] == "7+"

    def test_summary_without_holdout_is_refused(self, cdnow_summary) -> None:
        with pytest.raises(ValidationFailed, match="holdout"):
            holdout_report(BetaGeoModel().fit(cdnow_summary), cdnow_summary)


@pytest.mark.shared_data
class TestTrackingReport:
    def test_bgnbd_cumulative_tracking(self, raw_summary, tracking) -> None:
        report = tracking_report(BetaGeoModel().fit(raw_summary), tracking)
        assert len(report.period) == 78 and report.calibration_periods == 39
        assert report.actual_cumulative[-1] == 4339
        # the model tracks calibration closely and undershoots the holdout weeks 40-78
        assert report.predicted_cumulative[38] == pytest.approx(2457, rel=0.02)
        assert report.holdout_actual == 1882
        assert report.holdout_predicted == pytest.approx(1666.7, abs=0.5)
        np.testing.assert_allclose(np.cumsum(report.predicted_incremental),
                                   report.predicted_cumulative)  # fmt: skip

    def test_pnbd_cumulative_tracking(self, raw_summary, tracking) -> None:
        report = tracking_report(ParetoNBDModel().fit(raw_summary), tracking)
        assert report.holdout_predicted == pytest.approx(1745.1, abs=0.5)
        assert json.dumps(report.to_dict())
