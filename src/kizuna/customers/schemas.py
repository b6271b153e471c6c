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


def body_to_input(external_id: str, body: CustomerBody) -> CustomerIn:
    """The API body as a validated ``CustomerIn``; ValidationFailed names the bad field."""
    from kizuna.customers.identity import normalise_identity
    from kizuna.kit import jp
    from kizuna.kit.errors import ValidationFailed

    def check(name: str, parse: Any, value: Any) -> Any:
        try:
            return parse(value) if value else None
        except ValueError as exc:
            raise ValidationFailed(str(exc), field=f"body.{name}") from None

    identities = tuple(
        (kind, check(kind, lambda v, k=kind: normalise_identity(k, v), getattr(body, kind)))
        for kind in ("email", "phone", "member_number", "store_card", "app_id", "line_user_id")
        if getattr(body, kind)
    )
    if body.registered_at is not None and body.registered_at.tzinfo is None:
        raise ValidationFailed(
            "give a time zone, e.g. 2026-01-05T10:00:00+09:00", field="body.registered_at"
        )
    consents = tuple((c.channel, c.granted) for c in body.consents)
    return CustomerIn(
        external_id=external_id,
        is_member=body.is_member,
        family_name=body.family_name,
        given_name=body.given_name,
        family_kana=check("family_kana", jp.to_katakana, body.family_kana),
        given_kana=check("given_kana", jp.to_katakana, body.given_kana),
        birth_date=body.birth_date,
        gender=body.gender,
        prefecture=check("prefecture", jp.normalise_prefecture, body.prefecture),
        postal_code=check("postal_code", jp.normalise_postal_code, body.postal_code),
        occupation=body.occupation,
        registered_at=body.registered_at,
        registration_channel=body.registration_channel,
        marketing_status=("subscribed" if any(g for _, g in consents) else "unsubscribed")
        if consents
        else "never_asked",
        attributes=body.attributes,
        identities=identities,
        consents=consents,
    )
