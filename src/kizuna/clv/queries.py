"""CLV reads for the dashboard and the customer page: current fits, distributions, top customers
and customers at risk (valuable and slipping away)."""

from __future__ import annotations

import math
from typing import Any

from sqlalchemy import Integer, case, cast, func, select
from sqlalchemy.orm import Session

from kizuna.clv.store import ClvFit, ClvPrediction
from kizuna.customers.models import Customer
from kizuna.kit import jp


def current_fits(session: Session) -> list[dict[str, Any]]:
    """The current fit of each model, newest first."""
    fits = session.scalars(select(ClvFit).where(ClvFit.is_current).order_by(ClvFit.id.desc()))
    return [
        {
            "id": f.id,
            "model": f.model,
            "fitted_at": f.fitted_at,
            "time_unit": f.time_unit,
            "calibration_end": f.calibration_end,
            "data_end": f.data_end,
            "customers": f.customers,
            "params": f.params,
            "standard_errors": f.standard_errors,
            "log_likelihood": f.log_likelihood,
            "holdout_error_pct": f.holdout_error_pct,
            "tracking": f.report.get("tracking"),
            "holdout": f.report.get("holdout"),
        }
        for f in fits
    ]


def _histogram(session: Session, column: Any, low: float, step: float, bins: int) -> list[dict]:
    """Customers per equal-width bin ``[low + k·step, low + (k+1)·step)``, the last bin closed."""
    index = cast(func.floor((column - low) / step), Integer)
    bucket = case((index >= bins, bins - 1), (index < 0, 0), else_=index).label("bucket")
    counts: dict[int, int] = dict(
        session.execute(select(bucket, func.count()).group_by(bucket)).all()
    )
    return [
        {
            "low": round(low + k * step, 6),
            "high": round(low + (k + 1) * step, 6),
            "customers": counts.get(k, 0),
        }
        for k in range(bins)
    ]


def _clv_step(session: Session, bins: int = 20) -> float:
    """A round bin width so that ``bins`` bins cover the 99th percentile of CLV."""
    count = session.scalar(select(func.count()).select_from(ClvPrediction)) or 0
    if not count:
        return 1.0
    offset = min(int(count * 0.99), count - 1)
    p99 = session.scalar(
        select(ClvPrediction.clv).order_by(ClvPrediction.clv).offset(offset).limit(1)
    )
    raw = max(float(p99 or 0.0), 1.0) / bins
    magnitude = 10 ** math.floor(math.log10(raw))
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)


def _people(session: Session, order: Any, where: Any = None, limit: int = 20) -> list[dict]:
    query = select(ClvPrediction, Customer).join(Customer, Customer.id == ClvPrediction.customer_id)
    if where is not None:
        query = query.where(where)
    rows = session.execute(query.order_by(order).limit(limit)).all()
    return [
        {
            "customer_id": c.id,
            "external_id": c.external_id,
            "name": jp.full_name(c.family_name, c.given_name) or c.external_id,
            "clv": p.clv,
            "p_alive": p.p_alive,
            "churn_risk_90d": p.churn_risk_90d,
            "expected_purchases": p.expected_purchases,
            "next_order_date": p.next_order_date,
        }
        for p, c in rows
    ]


def clv_overview(session: Session) -> dict[str, Any]:
    """Everything the CLV page shows."""
    count, total, mean = session.execute(
        select(func.count(), func.sum(ClvPrediction.clv), func.avg(ClvPrediction.clv))
    ).one()
    return {
        "fits": current_fits(session),
        "predicted_customers": count,
        "total_clv": float(total or 0),
        "mean_clv": float(mean or 0),
        "p_alive_histogram": _histogram(session, ClvPrediction.p_alive, 0.0, 0.1, 10),
        "clv_histogram": _histogram(session, ClvPrediction.clv, 0.0, _clv_step(session), 20),
        "top_customers": _people(session, ClvPrediction.clv.desc()),
        "at_risk": _people(session, ClvPrediction.clv.desc(), ClvPrediction.churn_risk_90d > 0.7),
    }


def customer_prediction(session: Session, customer_id: int) -> dict[str, Any] | None:
    """The stored prediction for one customer, or None."""
    p = session.get(ClvPrediction, customer_id)
    if p is None:
        return None
    return {
        "clv": p.clv,
        "p_alive": p.p_alive,
        "churn_risk_90d": p.churn_risk_90d,
        "expected_purchases": p.expected_purchases,
        "expected_spend": p.expected_spend,
        "next_order_date": p.next_order_date,
        "horizon_days": p.horizon_days,
        "computed_at": p.computed_at,
    }
