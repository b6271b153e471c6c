"""Content blocks: what a storefront slot shows to whom, configured as data.

A slot's document (``SlotContent``) is an ordered list of rules, each an audience and a block,
plus a default block. The first rule whose audience matches the viewer wins; an audience field
left empty matches anyone, and the fields of one audience must all match (member flag, one of
the stages, one of the ranks, one of the segments). Anonymous visitors are non-members with no
stage, rank or segment. Documents are versioned: publishing appends a version with its author.

The viewer's stage, rank and segments come from the nightly build (``build_all``'s audience
source); the member flag is read live from the customer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kizuna.customers.models import Customer
from kizuna.kit.errors import ValidationFailed
from kizuna.recommend.models import ContentVersion, RecommendCustomer

SLOT_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,63}$"


@dataclass(frozen=True)
class Viewer:
    """Who is looking: the facts content rules match on."""

    customer_id: int | None = None
    member: bool = False
    stage: str | None = None
    rank: str | None = None
    segments: tuple[str, ...] = ()


ANONYMOUS = Viewer()


class _Doc(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Audience(_Doc):
    """Who a rule is for; every field left empty matches anyone."""

    member: bool | None = None
    stages: list[str] = Field(default_factory=list)
    ranks: list[str] = Field(default_factory=list)
    segments: list[str] = Field(default_factory=list)

    def matches(self, viewer: Viewer) -> bool:
        """True when the viewer satisfies every non-empty field."""
        return (
            (self.member is None or self.member == viewer.member)
            and (not self.stages or viewer.stage in self.stages)
            and (not self.ranks or viewer.rank in self.ranks)
            and (not self.segments or bool(set(self.segments) & set(viewer.segments)))
        )


class Block(_Doc):
    """What the slot shows: a key for the storefront's template and its fields."""

    key: str = Field(min_length=1, max_length=64)
    title: str = ""
    body: str = ""
    image_url: str | None = None
    link_url: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)


class ContentRule(_Doc):
    audience: Audience = Field(default_factory=Audience)
    block: Block


class SlotContent(_Doc):
    """The content document of one slot (first matching rule wins, else ``default``)."""

    slot: str = Field(pattern=SLOT_PATTERN)
    rules: list[ContentRule] = Field(default_factory=list)
    default: Block | None = None

    def choose(self, viewer: Viewer) -> Block | None:
        """The block this viewer sees (None when no rule matches and there is no default)."""
        return next((r.block for r in self.rules if r.audience.matches(viewer)), self.default)

    @classmethod
    def parse(cls, data: Any) -> SlotContent:
        """Validate plain data; ValidationFailed names the field."""
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ValidationFailed(f"{where}: {first['msg']}", field=where or None) from None


def do_publish_content(
    session: Session, document: SlotContent, *, author: str, note: str | None = None
) -> int:
    """Append a new version of the slot's document; returns the version number."""
    latest = session.scalar(
        select(func.max(ContentVersion.version)).where(ContentVersion.slot == document.slot)
    )
    version = (latest or 0) + 1
    session.add(
        ContentVersion(
            slot=document.slot,
            version=version,
            document=document.model_dump(mode="json"),
            author=author,
            note=note,
        )
    )
    session.flush()
    return version


def content_history(session: Session, slot: str) -> list[ContentVersion]:
    """Every version of a slot, newest first."""
    query = select(ContentVersion).where(ContentVersion.slot == slot)
    return list(session.scalars(query.order_by(ContentVersion.version.desc())))


def content_document(session: Session, slot: str) -> SlotContent | None:
    """The slot's document in force (None when the slot was never configured)."""
    query = (
        select(ContentVersion.document)
        .where(ContentVersion.slot == slot)
        .order_by(ContentVersion.version.desc())
        .limit(1)
    )
    data = session.scalar(query)
    return None if data is None else SlotContent.model_validate(data)


def viewer_for(session: Session, customer_id: int | None) -> Viewer:
    """The viewer facts of a customer (anonymous when None or unknown)."""
    if customer_id is None:
        return ANONYMOUS
    r = RecommendCustomer
    query = (
        select(Customer.is_member, r.stage, r.rank, r.segments)
        .outerjoin(r, r.customer_id == Customer.id)
        .where(Customer.id == customer_id)
    )
    row = session.execute(query).first()
    if row is None:
        return ANONYMOUS
    return Viewer(customer_id, bool(row[0]), row[1], row[2], tuple(row[3] or ()))


def content_block(
    session: Session, slot: str, customer_id: int | None = None, viewer: Viewer | None = None
) -> Block | None:
    """The block ``slot`` shows to the customer (or to ``viewer`` when the caller knows it)."""
    document = content_document(session, slot)
    if document is None:
        return None
    return document.choose(viewer or viewer_for(session, customer_id))


def content_slots(session: Session) -> list[dict[str, Any]]:
    """Every configured slot with its version in force, who published it and when."""
    latest = (
        select(ContentVersion.slot, func.max(ContentVersion.version).label("version"))
        .group_by(ContentVersion.slot)
        .subquery()
    )
    query = select(ContentVersion).join(
        latest,
        (latest.c.slot == ContentVersion.slot) & (latest.c.version == ContentVersion.version),
    )
    return [
        {
            "slot": v.slot,
            "version": v.version,
            "author": v.author,
            "note": v.note,
            "created_at": v.created_at,
            "rules": len(v.document.get("rules", [])),
        }
        for v in session.scalars(query.order_by(ContentVersion.slot))
    ]
