"""Stored CLV results: one row per fit (parameters, log-likelihood, holdout report) and one row
per customer with the latest predictions (P(alive), expected purchases, spend, CLV, churn risk,
next order date), read by segments, the customer page and the dashboard."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kizuna.kit.clock import now
from kizuna.kit.db import Base, BigId, JsonDoc, UTCDateTime

MODELS = ("bgnbd", "pnbd", "gg")


class ClvFit(Base):
    """One maximum-likelihood fit on the shop's own history, with its holdout backtest."""

    __tablename__ = "clv_fits"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    model: Mapped[str] = mapped_column(String(8))
    fitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    time_unit: Mapped[str] = mapped_column(String(4))
    calibration_end: Mapped[date] = mapped_column(Date)
    data_end: Mapped[date] = mapped_column(Date)
    customers: Mapped[int] = mapped_column(Integer)
    params: Mapped[dict[str, float]] = mapped_column(JsonDoc)
    standard_errors: Mapped[dict[str, float]] = mapped_column(JsonDoc, default=dict)
    log_likelihood: Mapped[float] = mapped_column(Float)
    holdout_error_pct: Mapped[float | None] = mapped_column(Float)
    report: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    is_current: Mapped[bool] = mapped_column(Boolean, default=False)


class ClvPrediction(Base):
    """The latest prediction for one customer (replaced on each ``kizuna clv predict``)."""

    __tablename__ = "clv_predictions"

    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), primary_key=True)
    fit_id: Mapped[int] = mapped_column(ForeignKey("clv_fits.id"))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    horizon_days: Mapped[int] = mapped_column(Integer)
    p_alive: Mapped[float] = mapped_column(Float)
    expected_purchases: Mapped[float] = mapped_column(Float)
    expected_spend: Mapped[float] = mapped_column(Float)
    clv: Mapped[float] = mapped_column(Float)
    churn_risk_90d: Mapped[float] = mapped_column(Float)
    next_order_date: Mapped[date | None] = mapped_column(Date)
