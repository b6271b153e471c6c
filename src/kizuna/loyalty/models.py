"""Loyalty tables besides the ledger: programme versions, member accounts and stage history,
coupon templates, coupons and their redemptions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kizuna.kit.clock import now
from kizuna.kit.db import Base, BigId, JsonDoc, UTCDateTime
from kizuna.loyalty.ledger.models import PointEntry, PointHold, PointLot, PointMovement

__all__ = [
    "Coupon",
    "CouponRedemption",
    "CouponTemplate",
    "LoyaltyAccount",
    "PointEntry",
    "PointHold",
    "PointLot",
    "PointMovement",
    "ProgrammeVersion",
    "StageChange",
]


class ProgrammeVersion(Base):
    """One published version of the programme document; the version in force at an instant is
    the highest whose ``effective_from`` is not after it."""

    __tablename__ = "loyalty_programmes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True)
    document: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    author: Mapped[str] = mapped_column(String(120))
    note: Mapped[str | None] = mapped_column(Text)
    effective_from: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class LoyaltyAccount(Base):
    """A member's loyalty state: current stage and the row every ledger verb locks.

    ``customer_id`` deliberately has no foreign key: a customer merge moves every row that
    references ``customers.id`` to the survivor, which would collide with the survivor's own
    account. After a merge the survivor keeps its account, the merged entries and lots move to
    it, and the next stage evaluation brings the stage up to date. ``short_since`` is the date an
    evaluation first found the member below their stage (the demotion grace runs from it).
    """

    __tablename__ = "loyalty_accounts"

    customer_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    stage: Mapped[str | None] = mapped_column(String(32))
    stage_since: Mapped[date | None] = mapped_column(Date)
    short_since: Mapped[date | None] = mapped_column(Date)
    qualifying: Mapped[int] = mapped_column(Integer, default=0)
    evaluated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_loyalty_accounts_stage", "stage"),)


class StageChange(Base):
    """Stage history: every promotion, demotion and start of a grace period, with its reason."""

    __tablename__ = "stage_changes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    from_stage: Mapped[str | None] = mapped_column(String(32))
    to_stage: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(32))
    qualifying: Mapped[int] = mapped_column(Integer)
    threshold: Mapped[int] = mapped_column(Integer)
    programme_version: Mapped[int | None] = mapped_column(Integer)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    actor: Mapped[str] = mapped_column(String(120), default="system")
    at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (Index("ix_stage_changes_customer_at", "customer_id", "at"),)


class CouponTemplate(Base):
    """A kind of coupon (``document`` is a validated ``coupons.CouponRules``)."""

    __tablename__ = "coupon_templates"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    document: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    active: Mapped[bool] = mapped_column(default=True)


class Coupon(Base):
    """One code. ``customer_id`` set: only that customer may use it. ``uses`` counts live
    redemptions (reversed ones give the use back)."""

    __tablename__ = "coupons"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("coupon_templates.id"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    max_uses: Mapped[int] = mapped_column(Integer, default=1)
    uses: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class CouponRedemption(Base):
    """A coupon used on an order; idempotent by ``idempotency_key``."""

    __tablename__ = "coupon_redemptions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    coupon_id: Mapped[int] = mapped_column(ForeignKey("coupons.id"), index=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("coupon_templates.id"))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    order_ref: Mapped[str | None] = mapped_column(String(64))
    discount_yen: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="redeemed")
    redeemed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reversed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_coupon_redemptions_template_customer", "template_id", "customer_id"),
    )
