"""Tables the analytics own (written only by ``analytics.snapshots``; the record stays read-only).

* ``analytics_rank_policies``: every published version of a rank policy document, with author
  and time (append-only: publishing adds a row, the newest version of a name is in force).
* ``analytics_snapshot_runs``: one row per rank snapshot (the nightly job or ``kizuna snapshot``).
* ``analytics_rank_spells``: rank history as spells: customer C had rank R for every snapshot
  from ``valid_from`` (included) to ``valid_to`` (excluded; open when null). A run writes only
  the customers whose rank changed, so a year of nightly snapshots of a million customers is a
  few million rows, not 365 million, and "time in rank" is ``valid_to - valid_from``.
* ``analytics_segments``: saved segment definitions (the document, version, author, times).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from kizuna.kit.clock import now
from kizuna.kit.db import Base, BigId, JsonDoc, UTCDateTime


class RankPolicyVersion(Base):
    """One published version of a rank policy document."""

    __tablename__ = "analytics_rank_policies"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    document: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    author: Mapped[str] = mapped_column(String(120))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    __table_args__ = (UniqueConstraint("name", "version"),)


class SnapshotRun(Base):
    """One rank snapshot: the day it describes, the policy used, and what changed."""

    __tablename__ = "analytics_snapshot_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    as_of: Mapped[date] = mapped_column(Date, unique=True)
    policy_name: Mapped[str] = mapped_column(String(64))
    policy_version: Mapped[int] = mapped_column(Integer)
    engine: Mapped[str] = mapped_column(String(16))
    customers: Mapped[int] = mapped_column(Integer, default=0)
    changed: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class RankSpell(Base):
    """Customer ``customer_id`` had ``rank`` from ``valid_from`` until ``valid_to`` (excluded)."""

    __tablename__ = "analytics_rank_spells"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(BigInteger)
    rank: Mapped[str] = mapped_column(String(32))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    run_id: Mapped[int] = mapped_column(ForeignKey("analytics_snapshot_runs.id"))

    __table_args__ = (
        Index("ix_analytics_rank_spells_customer", "customer_id", "valid_from"),
        Index("ix_analytics_rank_spells_valid_to", "valid_to"),
    )


class SavedSegment(Base):
    """A saved segment: its definition document, version, and who saved it when."""

    __tablename__ = "analytics_segments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    definition: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    version: Mapped[int] = mapped_column(Integer, default=1)
    author: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)
