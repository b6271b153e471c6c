"""The public surface of kizuna.clv."""

from __future__ import annotations

import kizuna.clv


def test_exported_members() -> None:
    assert sorted(kizuna.clv.__all__) == [
        "BetaGeoModel", "ClvFitError", "CustomerSummary", "FitOptions", "FitResult",
        "GammaGammaModel", "HoldoutReport", "NotFitted", "ParetoNBDModel", "RepeatTracking",
        "TrackingReport", "TransactionModel", "build_summary", "expected_clv", "holdout_report",
        "repeat_tracking", "tracking_report",
    ]  # fmt: skip
    for name in kizuna.clv.__all__:
        assert getattr(kizuna.clv, name).__doc__, name


def test_clv_imports_no_pandas() -> None:
    import subprocess
    import sys

    code = "import sys, kizuna.clv; print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
