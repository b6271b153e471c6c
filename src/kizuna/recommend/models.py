"""Recommendation tables: precomputed lists (rebuilt by ``build_all``, read by one primary-key
lookup each), popularity lists for cold start, content slot documents and the run log.

Lists are JSON arrays so that a read is one row: ``[[sku, reason], …]`` per customer, and
``[[sku, score], …]`` per product. ``recommend_customers.customer_id`` is the primary key and
references the customer, so a merge drops the merged customer's row (derived state).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kizuna.kit.clock import now
from kizuna.kit.db import Base, BigId, JsonDoc, UTCDateTime

REASONS = ("again", "cf", "affinity", "segment", "popular")
RUN_KINDS = ("build", "evaluate")


class RecommendCustomer(Base):
    """One customer's "for you" list, gift pick and the audience facts content rules match."""

    __tablename__ = "recommend_customers"

    customer_id: Mapped[int] = mapped_column(
        ForeignKey("customers.id"), primary_key=True, autoincrement=False
    )
    items: Mapped[list[Any]] = mapped_column(JsonDoc)
    gift_sku: Mapped[str | None] = mapped_column(String(64))
    gift_reason: Mapped[str | None] = mapped_column(String(16))
    stage: Mapped[str | None] = mapped_column(String(32))
    rank: Mapped[str | None] = mapped_column(String(32))
    segments: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    built_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class RecommendProduct(Base):
    """One product's related items and alternatives (both sellable only)."""

    __tablename__ = "recommend_products"

    sku: Mapped[str] = mapped_column(String(64), primary_key=True)
    related: Mapped[list[Any]] = mapped_column(JsonDoc)
    alternatives: Mapped[list[Any]] = mapped_column(JsonDoc)
    built_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class RecommendPopular(Base):
    """Best-seller lists: ``shop``, ``segment:<name>`` and ``category:<id>``."""

    __tablename__ = "recommend_popular"

    key: Mapped[str] = mapped_column(String(120), primary_key=True)
    items: Mapped[list[str]] = mapped_column(JsonDoc)
    built_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class ContentVersion(Base):
    """One published version of a slot's content document (``content.SlotContent``); the
    highest version of a slot is in force. Append-only: history says who changed what, when."""

    __tablename__ = "recommend_content"

    slot: Mapped[str] = mapped_column(String(64), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    document: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    author: Mapped[str] = mapped_column(String(120))
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class RecommendRun(Base):
    """A finished build or evaluation with its report (the evaluation page reads the latest)."""

    __tablename__ = "recommend_runs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    seconds: Mapped[float] = mapped_column(Float)
    report: Mapped[dict[str, Any]] = mapped_column(JsonDoc)

    __table_args__ = (Index("ix_recommend_runs_kind_id", "kind", "id"),)
