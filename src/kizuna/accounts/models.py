"""Dashboard users (admin, marketer, support) and API keys (stored hashed, scoped, revocable)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from kizuna.kit.clock import now
from kizuna.kit.db import Base, BigId, JsonDoc, UTCDateTime

ROLES = ("admin", "marketer", "support")
SCOPES = (
    "customers:read", "customers:write", "orders:write", "events:write", "webhooks",
    "loyalty:read", "loyalty:write", "loyalty:adjust",
    "feedback:read", "feedback:write",
    "automation:read", "automation:write",
)  # fmt: skip


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str] = mapped_column(String(255), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str] = mapped_column(String(255))
    language: Mapped[str] = mapped_column(String(2), default="ja")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)


class ApiKey(Base):
    """Only a SHA-256 of the secret is stored; ``prefix`` lets a person recognise the key."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    scopes: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=now)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
