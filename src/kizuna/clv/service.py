"""CLV verbs over the shop's record: fit a model with a holdout backtest, predict and store.

``fit_model`` backtests on the shop's own past (calibration up to ``calibration_end``, holdout
after it), then refits on the whole history so that predictions use everything known; both are
stored in ``clv_fits``. ``predict`` scores every customer with the current purchase model and the
Gamma-Gamma spend model and replaces ``clv_predictions``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

import numpy as np
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from kizuna.clv.data import CustomerSummary, build_summary
from kizuna.clv.models import BetaGeoModel, GammaGammaModel, ParetoNBDModel, expected_clv
from kizuna.clv.source import Transactions, load_transactions
from kizuna.clv.store import ClvFit, ClvPrediction
from kizuna.clv.validate import holdout_report, repeat_tracking, tracking_report
from kizuna.kit.bulk import Bulk
from kizuna.kit.clock import now
from kizuna.kit.errors import NotFound, ValidationFailed

ModelName = Literal["bgnbd", "pnbd", "gg"]
PURCHASE_MODELS = {"bgnbd": BetaGeoModel, "pnbd": ParetoNBDModel}


@dataclass(frozen=True)
class FitOutcome:
    """What ``kizuna clv fit`` prints: the stored fit, its parameters and the backtest."""

    fit_id: int
    model: str
    params: dict[str, float]
    standard_errors: dict[str, float]
    log_likelihood: float
    customers: int
    calibration_end: date
    data_end: date
    holdout_error_pct: float | None
    report: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in vars(self).items()}


def default_calibration_end(first: date, last: date) -> date:
    """A quarter of the observed span (at most a year) is held out for the backtest."""
    holdout = min((last - first) // 4, timedelta(days=364))
    return last - holdout


def fit_model(
    session: Session,
    model: ModelName = "bgnbd",
    calibration_end: date | None = None,
    time_unit: Literal["day", "week"] = "week",
    zone: str = "Asia/Tokyo",
) -> FitOutcome:
    """Backtest ``model`` on the holdout after ``calibration_end``, refit on all data, store."""
    tx = load_transactions(session, zone)
    first, last = tx.first_day(), tx.last_day()
    cal_end = calibration_end or default_calibration_end(first, last)
    if not first < cal_end < last:
        raise ValidationFailed(
            f"calibration end {cal_end} must fall between the first ({first}) and last ({last}) "
            "order dates",
            field="calibration_end",
        )
    backtest = build_summary(
        tx.customer_ids,
        tx.days,
        tx.amounts,
        calibration_end=cal_end,
        holdout_end=last,
        time_unit=time_unit,
    )
    full = build_summary(
        tx.customer_ids, tx.days, tx.amounts, calibration_end=last, time_unit=time_unit
    )
    if model == "gg":
        report, final = _backtest_spend(backtest), GammaGammaModel().fit(full)
        error = report["error_pct"]
    else:
        report, final = _backtest_purchases(model, backtest, tx, cal_end, last, time_unit)
        error = report["holdout"]["error_pct"]
    fit = _store_fit(session, model, final, full, time_unit, cal_end, last, error, report)
    return FitOutcome(
        fit.id,
        model,
        final.params,
        dict(final.result.standard_errors),
        final.result.log_likelihood,
        len(full),
        cal_end,
        last,
        error,
        report,
    )


def _backtest_purchases(
    model: str, summary: CustomerSummary, tx: Transactions, cal_end: date, last: date, unit: Any
) -> tuple[dict[str, Any], Any]:
    calibrated: Any = PURCHASE_MODELS[model]().fit(summary)
    tracking = repeat_tracking(
        tx.customer_ids, tx.days, calibration_end=cal_end, holdout_end=last, time_unit=unit
    )
    report = {
        "calibration_params": calibrated.params,
        "holdout": holdout_report(calibrated, summary).to_dict(),
        "tracking": tracking_report(calibrated, tracking).to_dict(),
    }
    return report, calibrated


def _backtest_spend(summary: CustomerSummary) -> dict[str, Any]:
    """Gamma-Gamma fitted on calibration repeat buyers vs their mean holdout order value."""
    spend = GammaGammaModel().fit(summary)
    assert summary.holdout_frequency is not None and summary.holdout_spend is not None
    buyers = (summary.frequency > 0) & (summary.holdout_frequency > 0)
    predicted = spend.expected_average_spend(summary)[buyers]
    actual = summary.holdout_spend[buyers] / summary.holdout_frequency[buyers]
    mean_p, mean_a = float(predicted.mean()), float(actual.mean())
    return {
        "calibration_params": spend.params,
        "customers": int(buyers.sum()),
        "predicted_mean_spend": mean_p,
        "actual_mean_spend": mean_a,
        "error_pct": (mean_p - mean_a) / mean_a * 100 if mean_a else None,
    }


def _store_fit(
    session: Session,
    model: str,
    fitted: Any,
    summary: CustomerSummary,
    unit: str,
    cal_end: date,
    last: date,
    error: float | None,
    report: dict,
) -> ClvFit:
    session.execute(update(ClvFit).where(ClvFit.model == model).values(is_current=False))
    result = fitted.result
    fit = ClvFit(
        model=model,
        time_unit=unit,
        calibration_end=cal_end,
        data_end=last,
        customers=len(summary),
        params=fitted.params,
        standard_errors=dict(result.standard_errors),
        log_likelihood=result.log_likelihood,
        holdout_error_pct=error,
        report=report,
        is_current=True,
    )
    session.add(fit)
    session.flush()
    return fit


def current_fit(session: Session, model: str) -> ClvFit | None:
    """The latest stored fit of ``model``."""
    query = select(ClvFit).where(ClvFit.model == model, ClvFit.is_current)
    return session.scalar(query.order_by(ClvFit.id.desc()).limit(1))


def predict(
    session: Session,
    horizon_days: int = 365,
    *,
    annual_discount_rate: float = 0.1,
    margin: float = 1.0,
    zone: str = "Asia/Tokyo",
) -> dict[str, Any]:
    """Score every customer with the current purchase and spend fits; replace stored predictions."""
    purchase_fit = current_fit(session, "pnbd") or current_fit(session, "bgnbd")
    if purchase_fit is None:
        raise NotFound(
            "no purchase model is fitted yet: run `kizuna clv fit --model bgnbd`", field="model"
        )
    spend_fit = current_fit(session, "gg")
    tx = load_transactions(session, zone)
    summary = build_summary(
        tx.customer_ids,
        tx.days,
        tx.amounts,
        calibration_end=tx.last_day(),
        time_unit="day" if purchase_fit.time_unit == "day" else "week",
    )
    model = PURCHASE_MODELS[purchase_fit.model]().with_params(**purchase_fit.params)
    if spend_fit is not None:
        spend = GammaGammaModel().with_params(**spend_fit.params).expected_average_spend(summary)
    else:
        spend = _average_order_value(summary)
    scores = _score(model, summary, spend, horizon_days, annual_discount_rate, margin)
    _replace_predictions(session, purchase_fit.id, summary, scores, horizon_days)
    return _prediction_summary(purchase_fit, spend_fit, summary, scores, horizon_days)


def _average_order_value(summary: CustomerSummary) -> Any:
    monetary = np.asarray(summary.monetary, dtype=float)
    repeaters = monetary[summary.frequency > 0]
    fallback = float(repeaters.mean()) if len(repeaters) else 0.0
    return np.where(summary.frequency > 0, monetary, fallback)


def _score(
    model: Any,
    summary: CustomerSummary,
    spend: np.ndarray,
    horizon: int,
    rate: float,
    margin: float,
) -> dict[str, np.ndarray]:
    return {
        "p_alive": model.expected_probability_alive(summary),
        "expected_purchases": model.expected_purchases(summary, summary.to_units(horizon)),
        "expected_spend": np.asarray(spend, dtype=float),
        "clv": expected_clv(
            model, summary, spend, horizon_days=horizon, annual_discount_rate=rate, margin=margin
        ),
        "churn_risk_90d": model.expected_churn_risk(summary, days=90),
        "next_order_date": model.expected_next_purchase_date(summary),
    }


def _replace_predictions(
    session: Session,
    fit_id: int,
    summary: CustomerSummary,
    scores: dict[str, np.ndarray],
    horizon: int,
) -> None:
    session.execute(delete(ClvPrediction))
    bulk = Bulk(session)
    stamp = bulk.time(now())
    nexts = scores["next_order_date"]
    rows = [
        (
            int(cid),
            fit_id,
            stamp,
            horizon,
            float(pa),
            float(ep),
            float(es),
            float(v),
            float(cr),
            bulk.day(nd.astype(object)) if not np.isnat(nd) else None,
        )
        for cid, pa, ep, es, v, cr, nd in zip(
            np.asarray(summary.customer_id),
            scores["p_alive"],
            scores["expected_purchases"],
            scores["expected_spend"],
            scores["clv"],
            scores["churn_risk_90d"],
            nexts,
            strict=True,
        )
    ]
    columns = (
        "customer_id",
        "fit_id",
        "computed_at",
        "horizon_days",
        "p_alive",
        "expected_purchases",
        "expected_spend",
        "clv",
        "churn_risk_90d",
        "next_order_date",
    )
    bulk.insert("clv_predictions", columns, rows)


def _prediction_summary(
    purchase_fit: ClvFit,
    spend_fit: ClvFit | None,
    summary: CustomerSummary,
    scores: dict[str, np.ndarray],
    horizon: int,
) -> dict[str, Any]:
    clv, p_alive = scores["clv"], scores["p_alive"]
    return {
        "purchase_model": purchase_fit.model,
        "spend_model": "gg" if spend_fit else "average",
        "horizon_days": horizon,
        "customers": len(summary),
        "total_clv": float(clv.sum()),
        "mean_clv": float(clv.mean()) if len(clv) else 0.0,
        "median_p_alive": float(np.median(p_alive)) if len(p_alive) else 0.0,
        "at_risk": int((scores["churn_risk_90d"] > 0.8).sum()),
    }
