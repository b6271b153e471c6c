"""Customer inputs and outputs: a frozen dataclass for bulk ingest, Pydantic models for the API."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


@dataclass(frozen=True, slots=True)
class CustomerIn:
    """A validated customer as it arrives from a file, the API or a webhook."""

    external_id: str
    is_member: bool = True
    family_name: str | None = None
    given_name: str | None = None
    family_kana: str | None = None
    given_kana: str | None = None
    birth_date: date | None = None
    gender: str = "unknown"
    prefecture: str | None = None
    postal_code: str | None = None
    country: str | None = None
    occupation: str | None = None
    registered_at: datetime | None = None
    registration_channel: str = "online"
    marketing_status: str = "never_asked"
    attributes: dict[str, Any] = field(default_factory=dict)
    identities: tuple[tuple[str, str], ...] = ()
    consents: tuple[tuple[str, bool], ...] = ()

    def fingerprint(self) -> str:
        """Stable hash of the content, so a re-import can tell "unchanged" from "updated"."""
        return hashlib.blake2b(repr(self).encode(), digest_size=16).hexdigest()


class ConsentIn(BaseModel):
    channel: str = Field(pattern="^(email|sms|line|push|postal)$")
    granted: bool


class CustomerBody(BaseModel):
    """Body of ``PUT /api/customers/{external_id}``: an upsert of one customer."""

    model_config = ConfigDict(extra="forbid")

    is_member: bool = True
    family_name: str | None = Field(default=None, max_length=80)
    given_name: str | None = Field(default=None, max_length=80)
    family_kana: str | None = Field(default=None, max_length=80)
    given_kana: str | None = Field(default=None, max_length=80)
    email: str | None = Field(default=None, max_length=255)
    phone: str | None = Field(default=None, max_length=40)
    member_number: str | None = Field(default=None, max_length=64)
    line_user_id: str | None = Field(default=None, max_length=64)
    app_id: str | None = Field(default=None, max_length=64)
    store_card: str | None = Field(default=None, max_length=64)
    birth_date: date | None = None
    gender: str = Field(default="unknown", pattern="^(female|male|other|unknown)$")
    prefecture: str | None = None
    postal_code: str | None = None
    occupation: str | None = Field(default=None, max_length=80)
    registered_at: datetime | None = None
    registration_channel: str = Field(default="online", pattern="^(online|app|store|phone|import)$")
    attributes: dict[str, Any] = Field(default_factory=dict)
    consents: list[ConsentIn] = Field(default_factory=list)
