"""Journey and campaign tables.

* ``journeys``: one row per journey: on/off and the version in force (the switch the dashboard
  flips). ``journey_versions``: every published document, append-only, with author and note.
  ``journey_changes``: who switched a journey on or off, or published it, and when.
* ``journey_enrolments``: a customer in a journey for one *occurrence* of its trigger (the
  order, the birthday year, the expiry date…): unique per (journey, customer, occurrence), so a
  trigger seen twice enrols once. ``step`` and ``due_at`` say where the customer is and when
  the runner looks again; ``arm`` is the holdout draw, made when the customer first becomes
  eligible.
* ``journey_progress``: one row per step an enrolment reached, unique per (enrolment, step):
  the record that makes progress idempotent per (customer, journey, step) and the per-step
  funnel.
* ``journey_segment_members``: who was in a ``segment_entered`` journey's segment at the last
  scan (entering = in now, not then).
* ``campaigns``: one-off sends (document, status, schedule, what happened).
* ``staff_notifications``: what the ``notify_staff`` action asks a person to look at.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kizuna.kit.clock import now
from kizuna.kit.db import Base, BigId, JsonDoc, UTCDateTime

ENROLMENT_STATUSES = ("active", "done")
CAMPAIGN_STATUSES = ("draft", "scheduled", "sent", "cancelled")


class JourneyRow(Base):
    """A journey: on/off, the version in force, and its trigger type (for the event hooks)."""

    __tablename__ = "journeys"

    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    trigger_type: Mapped[str] = mapped_column(String(40), index=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_by: Mapped[str] = mapped_column(String(120), default="system")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)


class JourneyVersion(Base):
    """One published version of a journey document."""

    __tablename__ = "journey_versions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(40))
    version: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    author: Mapped[str] = mapped_column(String(120))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    __table_args__ = (UniqueConstraint("key", "version"),)


class JourneyChange(Base):
    """Audit: a journey was published, switched on or switched off."""

    __tablename__ = "journey_changes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(40), index=True)
    action: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(120))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class Enrolment(Base):
    """A customer in a journey for one occurrence of its trigger."""

    __tablename__ = "journey_enrolments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    journey_key: Mapped[str] = mapped_column(String(40))
    journey_version: Mapped[int] = mapped_column(Integer)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    occurrence: Mapped[str] = mapped_column(String(64))
    arm: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(8), default="active")
    step: Mapped[str] = mapped_column(String(40))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    exit_reason: Mapped[str | None] = mapped_column(String(60))
    context: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)

    __table_args__ = (
        UniqueConstraint("journey_key", "customer_id", "occurrence"),
        Index("ix_journey_enrolments_status_due", "status", "due_at"),
        Index("ix_journey_enrolments_customer", "customer_id"),
    )


class StepProgress(Base):
    """An enrolment reached a step: what happened there (``outcome``) and when."""

    __tablename__ = "journey_progress"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("journey_enrolments.id"))
    journey_key: Mapped[str] = mapped_column(String(40))
    step_id: Mapped[str] = mapped_column(String(40))
    customer_id: Mapped[int] = mapped_column(BigId)
    outcome: Mapped[str] = mapped_column(String(60))
    detail: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("enrolment_id", "step_id"),
        Index("ix_journey_progress_journey_step", "journey_key", "step_id"),
    )


class SegmentMember(Base):
    """A customer was in a ``segment_entered`` journey's segment at its last scan."""

    __tablename__ = "journey_segment_members"

    journey_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    customer_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    since: Mapped[datetime] = mapped_column(UTCDateTime)


class Campaign(Base):
    """A one-off send to a segment: its document, status, schedule and what happened."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    document: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    status: Mapped[str] = mapped_column(String(12), default="draft")
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)

    __table_args__ = (Index("ix_campaigns_status_scheduled", "status", "scheduled_at"),)


class StaffNotification(Base):
    """A journey asks a person to look at a customer (``notify_staff``)."""

    __tablename__ = "staff_notifications"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    source: Mapped[str] = mapped_column(String(80))
    message: Mapped[str] = mapped_column(Text)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    read_by: Mapped[str | None] = mapped_column(String(120))
