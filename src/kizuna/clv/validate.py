"""Calibration vs holdout checks of a fitted transaction model, as JSON-ready dataclasses.

Two views, both from Fader, Hardie & Lee (2005), section 4:

* :func:`holdout_report` — conditional expectations: for customers grouped by how often they
  bought in calibration (0, 1, …, 7+), the mean predicted vs actual repeat purchases in the
  holdout window, and the error on the holdout total (their Figure 4);
* :func:`tracking_report` — the cohort's repeat purchases per week (or day) over calibration
  and holdout, counted from the transactions by :func:`repeat_tracking`, actual vs the model's
  unconditional forecast Σ_i E[X(t − s_i)] from each customer's first purchase s_i, incremental
  and cumulative (their Figures 2 and 3).

Reads a summary (or transactions) and a model; writes nothing. ``to_dict()`` gives what the API
and charts serve.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import ArrayLike

from kizuna.clv.data import (
    DAYS_PER_UNIT,
    CustomerSummary,
    Floats,
    TimeUnit,
    day_number,
    purchase_days,
)
from kizuna.clv.models.fitting import group_rows
from kizuna.kit.errors import ValidationFailed


class _Model(Protocol):
    name: str

    def expected_purchases(self, summary: CustomerSummary, t: float) -> Floats: ...

    def expected_purchases_new_customer(self, t: Floats | float) -> Floats: ...


@dataclass(frozen=True)
class FrequencyBucket:
    """Customers who made ``frequency`` repeat purchases in calibration (last bucket: or more)."""

    frequency: str
    customers: int
    actual_mean: float
    predicted_mean: float


@dataclass(frozen=True)
class HoldoutReport:
    """Predicted vs actual repeat purchases in the holdout window."""

    model: str
    time_unit: str
    holdout_duration: float
    customers: int
    actual_total: float
    predicted_total: float
    error_pct: float
    """(predicted − actual) / actual × 100 on the holdout total."""
    mean_absolute_error: float
    """Mean over customers of |predicted − actual| repeat purchases."""
    by_frequency: list[FrequencyBucket]

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON."""
        return asdict(self)


@dataclass(frozen=True)
class TrackingReport:
    """Repeat purchases per period, actual vs predicted, incremental and cumulative."""

    model: str
    time_unit: str
    start: str
    calibration_periods: int
    period: list[int]
    actual_incremental: list[float]
    predicted_incremental: list[float]
    actual_cumulative: list[float]
    predicted_cumulative: list[float]
    holdout_actual: float
    holdout_predicted: float
    holdout_error_pct: float

    def to_dict(self) -> dict[str, Any]:
        """Plain dict for JSON."""
        return asdict(self)


@dataclass(frozen=True, eq=False)
class RepeatTracking:
    """Actual repeat purchases of the summary's cohort per period, for the tracking chart.

    Period k covers days ``[start + k·P, start + (k+1)·P)`` with P one ``time_unit``;
    ``first_purchase_offset`` is each customer's first purchase day minus ``start`` (in units),
    aligned with the summary rows, so the model's cohort prediction can be built.
    """

    start: np.datetime64
    period_end: Floats
    actual_incremental: Floats
    calibration_periods: int
    first_purchase_offset: Floats
    time_unit: TimeUnit


def repeat_tracking(
    customer_ids: ArrayLike,
    dates: ArrayLike,
    *,
    calibration_end: Any,
    holdout_end: Any,
    time_unit: TimeUnit = "week",
    start: Any | None = None,
) -> RepeatTracking:
    """Repeat purchase days per period of the calibration cohort, from ``start`` to holdout end.

    ``start`` defaults to the cohort's earliest first purchase. Rows align with
    :func:`~kizuna.clv.data.build_summary` for the same arguments (customers sorted by id).
    """
    cal = day_number(calibration_end, "calibration_end")
    end = day_number(holdout_end, "holdout_end")
    ids = np.asarray(customer_ids)
    pd_ = purchase_days(ids, dates, np.zeros(len(ids)), last_day=end)
    in_cohort = pd_.first_day <= cal
    t0 = int(pd_.first_day[in_cohort].min()) if start is None else day_number(start, "start")
    unit = DAYS_PER_UNIT[time_unit]
    repeat = in_cohort[pd_.code] & (pd_.day > pd_.first_day[pd_.code]) & (pd_.day >= t0)
    n_periods = (end - t0) // unit + 1
    counts = np.bincount((pd_.day[repeat] - t0) // unit, minlength=n_periods)[:n_periods]
    return RepeatTracking(
        start=np.datetime64(int(t0), "D"),
        period_end=((np.arange(n_periods) + 1) * unit - 1) / unit,
        actual_incremental=counts.astype(np.float64),
        calibration_periods=int((cal - t0) // unit + 1),
        first_purchase_offset=((pd_.first_day[in_cohort] - t0) / unit).astype(np.float64),
        time_unit=time_unit,
    )


def holdout_report(
    model: _Model, summary: CustomerSummary, *, max_frequency: int = 7
) -> HoldoutReport:
    """Conditional expectations over the holdout vs the summary's holdout actuals."""
    if summary.holdout_frequency is None or summary.holdout_duration is None:
        raise ValidationFailed(
            "The summary has no holdout actuals: build it with a holdout_end.",
            field="holdout_frequency",
        )
    actual = summary.holdout_frequency
    predicted = model.expected_purchases(summary, summary.holdout_duration)
    bucket = np.minimum(summary.frequency, max_frequency).astype(int)
    buckets = []
    for k in range(max_frequency + 1):
        mask = bucket == k
        if mask.any():
            label = f"{k}+" if k == max_frequency else str(k)
            buckets.append(
                FrequencyBucket(label, int(mask.sum()), float(actual[mask].mean()),
                                float(predicted[mask].mean()))
            )  # fmt: skip
    total_a, total_p = float(actual.sum()), float(predicted.sum())
    return HoldoutReport(
        model=model.name,
        time_unit=summary.time_unit,
        holdout_duration=float(summary.holdout_duration),
        customers=len(summary),
        actual_total=total_a,
        predicted_total=total_p,
        error_pct=_error_pct(total_p, total_a),
        mean_absolute_error=float(np.abs(predicted - actual).mean()) if len(actual) else 0.0,
        by_frequency=buckets,
    )


def tracking_report(model: _Model, tracking: RepeatTracking) -> TrackingReport:
    """The cohort forecast Σ_i E[X(τ − s_i)] per period end τ vs actual repeat purchases."""
    g = group_rows(tracking.first_purchase_offset)
    (offset,) = g.columns
    elapsed = tracking.period_end[None, :] - offset[:, None]
    expected = np.zeros_like(elapsed)
    live = elapsed > 0
    expected[live] = model.expected_purchases_new_customer(elapsed[live])
    predicted_cum = (g.weight[:, None] * expected).sum(axis=0)
    actual_cum = np.cumsum(tracking.actual_incremental)
    cal = tracking.calibration_periods
    hold_a = float(actual_cum[-1] - actual_cum[cal - 1])
    hold_p = float(predicted_cum[-1] - predicted_cum[cal - 1])
    return TrackingReport(
        model=model.name,
        time_unit=tracking.time_unit,
        start=str(tracking.start),
        calibration_periods=cal,
        period=list(range(1, len(actual_cum) + 1)),
        actual_incremental=tracking.actual_incremental.tolist(),
        predicted_incremental=np.diff(predicted_cum, prepend=0.0).tolist(),
        actual_cumulative=actual_cum.tolist(),
        predicted_cumulative=predicted_cum.tolist(),
        holdout_actual=hold_a,
        holdout_predicted=hold_p,
        holdout_error_pct=_error_pct(hold_p, hold_a),
    )


def _error_pct(predicted: float, actual: float) -> float:
    return (predicted - actual) / actual * 100 if actual else float("inf") if predicted else 0.0
