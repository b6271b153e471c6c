"""After-sales tables of the order record: tracking links, carrier delivery estimates, return
requests, extended warranties (plans, enrolments, claims).

Order lines are referred to by ``(order_id, line_no)`` and never by ``order_lines.id``: the order
service replaces an order's lines when a changed order is recorded again, and these rows must
survive that.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kizuna.kit.clock import now
from kizuna.kit.db import Base, BigId, JsonDoc, UTCDateTime

RETURN_CHANNELS = ("courier_pickup", "store")
RETURN_REASONS = (
    "defective",
    "damaged",
    "wrong_item",
    "not_as_described",
    "size_or_fit",
    "changed_mind",
    "late_delivery",
    "other",
)
RETURN_REQUEST_STATUSES = ("requested", "approved", "rejected", "received", "refunded", "cancelled")
WARRANTY_STATUSES = ("active", "cancelled")
CLAIM_STATUSES = ("open", "approved", "rejected", "resolved")
CLAIM_RESOLUTIONS = ("repair", "replacement", "refund")


class TrackingLink(Base):
    """The unguessable token of an order's public tracking page (one per order)."""

    __tablename__ = "tracking_links"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), unique=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    views: Mapped[int] = mapped_column(Integer, default=0)
    last_viewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class ShipmentEstimate(Base):
    """The delivery date a carrier (or the cart) announced for a shipment."""

    __tablename__ = "shipment_estimates"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    shipment_id: Mapped[int] = mapped_column(ForeignKey("shipments.id"), unique=True)
    estimated_on: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(40))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class ReturnRequest(Base):
    """A customer's request to send goods back, by courier pickup or at a store.

    ``requested → approved → received → refunded`` (or ``rejected`` / ``cancelled``). When the
    goods arrive the request becomes a record ``Return`` (``return_id``), which is what the
    points ledger reverses.
    """

    __tablename__ = "return_requests"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(24))
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="requested")
    refund_amount: Mapped[int] = mapped_column(Integer, default=0)
    pickup_on: Mapped[date | None] = mapped_column(Date)
    store_code: Mapped[str | None] = mapped_column(String(32))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(120))
    decision_note: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    return_id: Mapped[int | None] = mapped_column(ForeignKey("returns.id"))

    __table_args__ = (Index("ix_return_requests_status_requested", "status", "requested_at"),)


class ReturnRequestLine(Base):
    """How many of one order line go back, and their goods value (``amount``: the line's amount
    pro rata, before the order-level discount)."""

    __tablename__ = "return_request_lines"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("return_requests.id", ondelete="CASCADE"))
    line_no: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer)
    amount: Mapped[int] = mapped_column(Integer)

    __table_args__ = (UniqueConstraint("request_id", "line_no"),)


class WarrantyPlan(Base):
    """An extended warranty the shop sells as the product ``sku``: term, list price, coverage
    (``["defects", "accidental_damage", …]``), and at most ``max_claims`` claims."""

    __tablename__ = "warranty_plans"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name_ja: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    term_months: Mapped[int] = mapped_column(Integer)
    price: Mapped[int] = mapped_column(Integer)
    coverage: Mapped[list[Any]] = mapped_column(JsonDoc, default=list)
    max_claims: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_by: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class WarrantyEnrolment(Base):
    """One order line covered by a plan from ``starts_on`` to ``ends_on`` (inclusive, shop
    dates); ``warranty_line_no`` is the order line that sold the warranty, ``price`` what the
    customer paid for it."""

    __tablename__ = "warranty_enrolments"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("warranty_plans.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), index=True)
    line_no: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str] = mapped_column(String(64))
    warranty_line_no: Mapped[int | None] = mapped_column(Integer)
    price: Mapped[int] = mapped_column(Integer)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(10), default="active")
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    __table_args__ = (UniqueConstraint("order_id", "line_no"),)


class WarrantyClaim(Base):
    """A claim under an enrolment: ``open → approved / rejected``, then ``resolved`` by repair,
    replacement or refund at a ``cost`` to the shop."""

    __tablename__ = "warranty_claims"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    enrolment_id: Mapped[int] = mapped_column(ForeignKey("warranty_enrolments.id"), index=True)
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="open")
    resolution: Mapped[str | None] = mapped_column(String(12))
    cost: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str | None] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by: Mapped[str | None] = mapped_column(String(120))
