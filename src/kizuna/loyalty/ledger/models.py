"""The points ledger: append-only entries, the lots they create, the movements between them, and
checkout holds.

Three facts hold for every customer at every commit, and ``balance.verify_ledger`` checks them:

1. ``sum(entry.points) == sum(movement.points)``, entry by entry (a movement moves points into
   or out of one lot; the entry's points are the sum of its movements);
2. ``lot.remaining == sum(movement.points of the lot)``, lot by lot;
3. hence the balance is a sum of entries, and equally the sum of the lots' ``remaining``.

Entries are never updated or deleted. Lots and holds carry state (``remaining``, ``status``)
that is derived from the entries and kept beside them so that a redemption reads a handful of
rows instead of a customer's whole history.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from kizuna.kit.clock import now
from kizuna.kit.db import Base, BigId, JsonDoc, UTCDateTime


class EntryKind(StrEnum):
    """What a ledger entry did. The sign of ``points`` follows from the kind."""

    EARN = "earn"
    """Points granted (order, registration, birthday, survey, review, referral, campaign). Pays
    any debt lots first, then opens a new lot whose expiry comes from the programme."""

    REDEEM = "redeem"
    """Points spent at once (POS, API). Consumes lots by earliest expiry first."""

    HOLD = "hold"
    """Points reserved at checkout. Consumes lots like a redemption; the hold row remembers
    them so that a release can put exactly those points back."""

    CAPTURE = "capture"
    """A hold became a redemption (the order went through). Zero points: the HOLD entry already
    took them; this entry records when and for which order."""

    RELEASE = "release"
    """A hold was given back (checkout abandoned, or its timeout passed). Restores exactly the
    hold's movements, lot by lot; a lot that expired meanwhile is expired again right after."""

    REVERSE_EARN = "reverse_earn"
    """A return or cancellation takes back points its order earned (``reverses_id`` names the
    EARN entry). Taken from that entry's lot first, then from other lots by earliest expiry.
    What was already spent is a *shortfall*: either a debt lot (negative balance) or points
    deducted from the refund (``deducted_points``), as the programme says. What had expired is
    not taken twice (``waived_points``)."""

    REFUND_REDEEMED = "refund_redeemed"
    """A return or cancellation gives back points the order used: into the lots they came from
    (latest expiry first) or into a new lot, as the programme says."""

    EXPIRE = "expire"
    """A lot reached its expiry; its remaining points leave the balance."""

    ADJUST = "adjust"
    """A manual correction by a person, with a reason. Positive: a new lot. Negative: consumes
    lots by earliest expiry first and may not overdraw the balance."""


class PointEntry(Base):
    """One line of the ledger. ``idempotency_key`` is unique: posting the same request again
    returns this entry and changes nothing; ``fingerprint`` detects a key reused for a different
    request."""

    __tablename__ = "point_entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    kind: Mapped[str] = mapped_column(String(16))
    points: Mapped[int] = mapped_column(Integer)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    fingerprint: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(120), default="system")
    note: Mapped[str | None] = mapped_column(Text)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    return_id: Mapped[int | None] = mapped_column(ForeignKey("returns.id"))
    link_type: Mapped[str | None] = mapped_column(String(32))
    link_ref: Mapped[str | None] = mapped_column(String(128))
    hold_id: Mapped[int | None] = mapped_column(BigId)
    lot_id: Mapped[int | None] = mapped_column(BigId)
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("point_entries.id"))
    deducted_points: Mapped[int] = mapped_column(Integer, default=0)
    waived_points: Mapped[int] = mapped_column(Integer, default=0)
    programme_version: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)

    __table_args__ = (
        Index("ix_point_entries_customer_created", "customer_id", "created_at"),
        Index("ix_point_entries_order_kind", "order_id", "kind"),
        Index("ix_point_entries_reverses_id", "reverses_id"),
    )


class PointLot(Base):
    """Points with one expiry. Earned points open a lot; a reversal shortfall under the
    "negative balance" policy opens a *debt* lot (``remaining`` < 0, never expires) that later
    credits pay off first. ``moves`` counts the lot's movements (it makes expiry keys unique)."""

    __tablename__ = "point_lots"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    entry_id: Mapped[int] = mapped_column(ForeignKey("point_entries.id"))
    is_debt: Mapped[bool] = mapped_column(default=False)
    points: Mapped[int] = mapped_column(Integer)
    remaining: Mapped[int] = mapped_column(Integer)
    moves: Mapped[int] = mapped_column(Integer, default=1)
    earned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        # open lots only: a busy customer's spent lots never slow their redemptions down
        Index(
            "ix_point_lots_open",
            "customer_id",
            "expires_at",
            sqlite_where=text("remaining != 0"),
            postgresql_where=text("remaining != 0"),
        ),
        Index("ix_point_lots_expires_remaining", "expires_at", "remaining"),
        Index("ix_point_lots_entry_id", "entry_id"),
        CheckConstraint("is_debt OR remaining >= 0", name="remaining_not_negative"),
    )


class PointMovement(Base):
    """Points moved into (+) or out of (−) one lot by one entry."""

    __tablename__ = "point_movements"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("point_entries.id"), index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("point_lots.id"), index=True)
    points: Mapped[int] = mapped_column(Integer)


HOLD_STATUSES = ("active", "captured", "released")


class PointHold(Base):
    """Points reserved for a checkout until ``expires_at``: captured into a redemption or
    released. ``order_ref`` is the storefront's checkout or order number (the order may not be
    recorded yet); ``order_id`` is set on capture when the order is known."""

    __tablename__ = "point_holds"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    points: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10), default="active")
    order_ref: Mapped[str | None] = mapped_column(String(64))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id"))
    hold_entry_id: Mapped[int] = mapped_column(ForeignKey("point_entries.id"))
    settle_entry_id: Mapped[int | None] = mapped_column(ForeignKey("point_entries.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_point_holds_customer_status", "customer_id", "status"),
        Index("ix_point_holds_status_expires", "status", "expires_at"),
    )
