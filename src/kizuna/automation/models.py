"""Automation tables: the holdout assignment log (one row per customer per journey/campaign)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kizuna.kit.clock import now
from kizuna.kit.db import Base, BigId, UTCDateTime

ARMS = ("treatment", "holdout")


class ExperimentAssignment(Base):
    """Which arm a customer was put in for an experiment (a journey or a campaign), and when.

    The arm is a pure function of (experiment, customer) (see ``experiments.arm_for``); the row
    records that the customer was eligible at ``assigned_at``, which starts the conversion window
    for both arms alike.
    """

    __tablename__ = "experiment_assignments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    experiment: Mapped[str] = mapped_column(String(120))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    arm: Mapped[str] = mapped_column(String(16))
    variant: Mapped[str] = mapped_column(String(40), default="")
    holdout_share: Mapped[float] = mapped_column(Float)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    __table_args__ = (
        UniqueConstraint("experiment", "customer_id"),
        Index("ix_experiment_assignments_customer", "customer_id"),
    )
