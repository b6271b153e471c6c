"""Stored journeys: publish a document as a new version, switch a journey on or off, load the
version in force. Each verb writes its ``journey_changes`` audit row in the same transaction
and never commits (the caller's unit of work does).

Enrolments keep the version they entered with (a published edit applies to new entrants), so
the runner loads documents by (key, version); parsed documents are cached per process, since
a stored version never changes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.automation.journeys.definition import Journey
from kizuna.automation.journeys.models import JourneyChange, JourneyRow, JourneyVersion
from kizuna.kit.errors import NotFound

_DOCS: dict[tuple[str, str, int], Journey] = {}


@dataclass(frozen=True, slots=True)
class Loaded:
    """A journey document with its stored version and switch."""

    journey: Journey
    version: int
    enabled: bool

    @property
    def key(self) -> str:
        """The journey's key."""
        return self.journey.key

    @property
    def experiment(self) -> str:
        """The holdout experiment name of the journey."""
        return f"journey:{self.journey.key}"


def do_publish(
    session: Session, journey: Journey | dict[str, Any], *, actor: str, note: str | None = None
) -> Loaded:
    """Store ``journey`` as the next version of its key (a new key starts switched off, or as
    the document says); an existing journey keeps its switch."""
    doc = journey if isinstance(journey, Journey) else Journey.model_validate(journey)
    row = session.get(JourneyRow, doc.key)
    version = (row.version + 1) if row else 1
    session.add(
        JourneyVersion(
            key=doc.key,
            version=version,
            document=doc.model_dump(mode="json"),
            author=actor,
            note=note,
        )
    )
    if row is None:
        row = JourneyRow(key=doc.key, enabled=doc.enabled)
        session.add(row)
    row.name, row.trigger_type, row.version, row.updated_by = (
        doc.name,
        doc.trigger.type,
        version,
        actor,
    )
    session.add(JourneyChange(key=doc.key, action="publish", version=version, actor=actor))
    session.flush()
    return Loaded(doc, version, row.enabled)


def do_set_enabled(session: Session, key: str, enabled: bool, *, actor: str) -> Loaded:
    """Switch a journey on or off (audited). Off: due enrolments leave at their next step."""
    row = session.get(JourneyRow, key)
    if row is None:
        raise NotFound(f"there is no journey {key!r}", field="key")
    if row.enabled != enabled:
        row.enabled, row.updated_by = enabled, actor
        action = "enable" if enabled else "disable"
        session.add(JourneyChange(key=key, action=action, version=row.version, actor=actor))
        session.flush()
    return load(session, key)


def _document(session: Session, key: str, version: int) -> Journey:
    cache_key = (str(session.get_bind().engine.url), key, version)
    if cache_key not in _DOCS:
        document = session.scalar(
            select(JourneyVersion.document).where(
                JourneyVersion.key == key, JourneyVersion.version == version
            )
        )
        if document is None:
            raise NotFound(f"journey {key!r} has no version {version}", field="key")
        _DOCS[cache_key] = Journey.model_validate(document)
    return _DOCS[cache_key]


def load(session: Session, key: str, version: int | None = None) -> Loaded:
    """The journey ``key`` at ``version`` (default: the version in force)."""
    row = session.get(JourneyRow, key)
    if row is None:
        raise NotFound(f"there is no journey {key!r}", field="key")
    chosen = version or row.version
    doc = _document(session, key, chosen)
    return Loaded(doc.model_copy(update={"enabled": row.enabled}), chosen, row.enabled)


def load_all(session: Session, *, enabled_only: bool = False) -> list[Loaded]:
    """Every stored journey (the version in force), by key."""
    stmt = select(JourneyRow).order_by(JourneyRow.key)
    if enabled_only:
        stmt = stmt.where(JourneyRow.enabled.is_(True))
    return [
        Loaded(
            _document(session, row.key, row.version).model_copy(update={"enabled": row.enabled}),
            row.version,
            row.enabled,
        )
        for row in session.scalars(stmt)
    ]


def enabled_for(session: Session, trigger_types: Iterable[str]) -> list[Loaded]:
    """The switched-on journeys whose trigger is one of ``trigger_types``."""
    types = list(trigger_types)
    rows = session.scalars(
        select(JourneyRow).where(JourneyRow.enabled.is_(True), JourneyRow.trigger_type.in_(types))
    )
    return [Loaded(_document(session, r.key, r.version), r.version, True) for r in rows]


def switches(session: Session) -> dict[str, bool]:
    """``{key: enabled}`` for every stored journey."""
    return {k: bool(e) for k, e in session.execute(select(JourneyRow.key, JourneyRow.enabled))}
