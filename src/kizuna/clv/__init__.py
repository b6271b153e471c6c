"""Predicted lifetime value and churn risk: BTYD models over a per-customer summary.

``build_summary`` turns transactions into (x, t_x, T, average repeat spend) plus holdout actuals;
``BetaGeoModel`` / ``ParetoNBDModel`` predict purchases, P(alive), churn risk and the next
purchase; ``GammaGammaModel`` predicts spend; ``expected_clv`` combines them; ``validate``
reports calibration vs holdout. See docs/clv.md.
"""

from kizuna.clv.data import CustomerSummary, build_summary
from kizuna.clv.models import (
    BetaGeoModel,
    ClvFitError,
    FitOptions,
    FitResult,
    GammaGammaModel,
    NotFitted,
    ParetoNBDModel,
    TransactionModel,
    expected_clv,
)
from kizuna.clv.validate import (
    HoldoutReport,
    RepeatTracking,
    TrackingReport,
    holdout_report,
    repeat_tracking,
    tracking_report,
)

__all__ = [
    "BetaGeoModel",
    "ClvFitError",
    "CustomerSummary",
    "FitOptions",
    "FitResult",
    "GammaGammaModel",
    "HoldoutReport",
    "NotFitted",
    "ParetoNBDModel",
    "RepeatTracking",
    "TrackingReport",
    "TransactionModel",
    "build_summary",
    "expected_clv",
    "holdout_report",
    "repeat_tracking",
    "tracking_report",
]
