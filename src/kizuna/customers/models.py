"""Customer record tables: who the customer is, how we recognise them, what they agreed to."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from kizuna.kit.clock import now
from kizuna.kit.db import Base, BigId, JsonDoc, UTCDateTime

IDENTITY_KINDS = ("email", "phone", "member_number", "store_card", "app_id", "line_user_id")
CHANNELS = ("email", "sms", "line", "push", "postal")
GENDERS = ("female", "male", "other", "unknown")
REGISTRATION_CHANNELS = ("online", "app", "store", "phone", "import")
MARKETING_STATUSES = ("subscribed", "unsubscribed", "never_asked")


class Customer(Base):
    """A person the shop knows: a member (registered) or a guest (checked out without an account).

    ``merged_into_id`` points at the survivor after a merge; merged rows stay for un-merge.
    ``erased_at`` is set when personal fields were removed on request (APPI); orders stay.
    """

    __tablename__ = "customers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    external_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    is_member: Mapped[bool] = mapped_column(Boolean, default=True)
    family_name: Mapped[str | None] = mapped_column(String(80))
    given_name: Mapped[str | None] = mapped_column(String(80))
    family_kana: Mapped[str | None] = mapped_column(String(80))
    given_kana: Mapped[str | None] = mapped_column(String(80))
    birth_date: Mapped[date | None] = mapped_column(Date)
    gender: Mapped[str] = mapped_column(String(8), default="unknown")
    prefecture: Mapped[str | None] = mapped_column(String(8))
    postal_code: Mapped[str | None] = mapped_column(String(8))
    country: Mapped[str | None] = mapped_column(String(64))
    occupation: Mapped[str | None] = mapped_column(String(80))
    registered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registration_channel: Mapped[str] = mapped_column(String(16), default="online")
    marketing_status: Mapped[str] = mapped_column(String(16), default="never_asked")
    attributes: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    is_problem: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    problem_reason: Mapped[str | None] = mapped_column(Text)
    problem_set_by: Mapped[str | None] = mapped_column(String(120))
    problem_set_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"))
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    content_hash: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now, onupdate=now)

    __table_args__ = (
        Index("ix_customers_family_name", "family_name"),
        Index("ix_customers_family_kana", "family_kana"),
        Index("ix_customers_merged_into_id", "merged_into_id"),
    )


class Identity(Base):
    """One way of recognising a customer (email, phone, member number…), stored normalised."""

    __tablename__ = "identities"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    __table_args__ = (UniqueConstraint("kind", "value"),)


class ConsentChange(Base):
    """Append-only consent history; the latest row per (customer, channel) is the current state."""

    __tablename__ = "consent_changes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    channel: Mapped[str] = mapped_column(String(8))
    granted: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class CustomerAudit(Base):
    """Audit rows for changes that matter: merges, un-merges, problem flags, exports, erasure."""

    __tablename__ = "customer_audit"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    action: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(120))
    detail: Mapped[dict[str, Any]] = mapped_column(JsonDoc, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    reverted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    seq: Mapped[int] = mapped_column(Integer, default=0)
