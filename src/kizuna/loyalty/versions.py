"""Stored programme versions: publish a new version, read the one in force at an instant.

A version never changes once published (its number is unique), so parsed documents are cached
per database and version; the list of versions is re-read every ``TTL`` seconds (a publish in
this process is seen at once, one in another process within ``TTL``). With no version stored,
the shipped default programme is in force (as version 0).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kizuna.kit.clock import now
from kizuna.loyalty.dates import day_start, local_date
from kizuna.loyalty.errors import ProgrammeInvalid
from kizuna.loyalty.models import ProgrammeVersion
from kizuna.loyalty.programme import Programme, default_programme, parse_programme

_CACHE: dict[tuple[str, int], Programme] = {}
_VERSIONS: dict[str, tuple[float, list[tuple[int, datetime]]]] = {}
TTL = 5.0  # seconds: another process's publish is seen within this time


@dataclass(frozen=True, slots=True)
class VersionInfo:
    version: int
    author: str
    note: str | None
    effective_from: datetime
    created_at: datetime


def _versions(session: Session) -> list[tuple[int, datetime]]:
    """``(version, effective_from)`` newest first, re-read at most every ``TTL`` seconds."""
    key = str(session.get_bind().engine.url)
    cached = _VERSIONS.get(key)
    if cached is not None and time.monotonic() - cached[0] < TTL:
        return cached[1]
    rows = session.execute(
        select(ProgrammeVersion.version, ProgrammeVersion.effective_from).order_by(
            ProgrammeVersion.version.desc()
        )
    ).all()
    versions = [(int(v), e) for v, e in rows]
    _VERSIONS[key] = (time.monotonic(), versions)
    return versions


def active_programme(session: Session, at: datetime | None = None) -> Programme:
    """The programme in force at ``at`` (now by default)."""
    at = at or now()
    version = next((v for v, start in _versions(session) if start <= at), None)
    if version is None:
        return default_programme().model_copy(update={"version": 0, "author": "kizuna"})
    key = (str(session.get_bind().engine.url), version)
    if key not in _CACHE:
        row = session.execute(
            select(ProgrammeVersion).where(ProgrammeVersion.version == version)
        ).scalar_one_or_none()
        if row is None:  # a version seen in a transaction that was rolled back
            forget(session)
            return active_programme(session, at)
        _CACHE[key] = parse_programme(row.document).model_copy(
            update={
                "version": row.version,
                "author": row.author,
                "effective_from": local_date(row.effective_from),
            }
        )
    return _CACHE[key]


def forget(session: Session) -> None:
    """Drop the cached version list of this database (after a publish)."""
    _VERSIONS.pop(str(session.get_bind().engine.url), None)


def do_publish_programme(
    session: Session,
    programme: Programme,
    *,
    author: str,
    effective_from: datetime | date | None = None,
    note: str | None = None,
) -> Programme:
    """Store ``programme`` as the next version, in force from ``effective_from`` (a date means
    00:00 shop time; default now). The document is validated again before it is stored."""
    if not author.strip():
        raise ProgrammeInvalid("a programme version needs an author", field="author")
    checked = parse_programme(programme.model_dump(mode="json", exclude_none=True))
    document = checked.model_dump(
        mode="json", exclude_none=True, exclude={"version", "author", "effective_from"}
    )
    if isinstance(effective_from, date) and not isinstance(effective_from, datetime):
        effective_from = day_start(effective_from)
    latest = session.scalar(select(func.max(ProgrammeVersion.version))) or 0
    row = ProgrammeVersion(
        version=latest + 1,
        document=document,
        author=author,
        note=note,
        effective_from=effective_from or now(),
    )
    session.add(row)
    session.flush()
    forget(session)
    return checked.model_copy(
        update={
            "version": row.version,
            "author": author,
            "effective_from": local_date(row.effective_from),
        }
    )


def programme_history(session: Session) -> list[VersionInfo]:
    """Every published version, newest first (who, when, from when, why)."""
    rows = session.scalars(select(ProgrammeVersion).order_by(ProgrammeVersion.version.desc()))
    return [VersionInfo(r.version, r.author, r.note, r.effective_from, r.created_at) for r in rows]


def programme_version(session: Session, version: int) -> Programme:
    """One stored version (``ProgrammeInvalid`` if there is none with that number)."""
    row = session.scalar(select(ProgrammeVersion).where(ProgrammeVersion.version == version))
    if row is None:
        raise ProgrammeInvalid(f"there is no programme version {version}", field="version")
    return parse_programme(row.document).model_copy(
        update={"version": version, "author": row.author}
    )
