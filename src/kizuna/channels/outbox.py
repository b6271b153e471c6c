"""The outbox: every message is a row before it leaves, and each row moves through the statuses
documented in ``models.py`` by the verbs here. Nothing in this module talks to a provider.

Exactly once: the unique ``dedupe_key`` makes recording idempotent; ``claim`` moves ``pending``
rows to ``claimed`` in one conditional UPDATE, so two workers never take the same row;
``mark_sending`` / ``mark_sent`` only move rows the caller still owns (``claimed_by``).
``recovery.py`` holds the retry backoff and puts back the rows of dead workers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from kizuna.channels.config import get_channel_settings
from kizuna.channels.models import OutboxMessage
from kizuna.kit.bulk import Bulk
from kizuna.kit.clock import now

RECORDABLE = ("pending", "held", "dropped")
_COLUMNS = (
    "dedupe_key",
    "customer_id",
    "channel",
    "kind",
    "category",
    "template",
    "language",
    "context",
    "source_type",
    "source_key",
    "step_key",
    "status",
    "reason",
    "attempts",
    "max_attempts",
    "next_attempt_at",
    "created_at",
    "updated_at",
)


class LeaseLost(Exception):
    """The row is no longer this worker's (recovered by another after the lease ran out)."""


@dataclass(frozen=True, slots=True)
class MessageIn:
    """A message to record. ``status``/``reason``/``not_before`` carry the guards' decision:
    ``pending`` (send when due), ``held`` (re-check at ``not_before``) or ``dropped``."""

    dedupe_key: str
    customer_id: int
    channel: str
    template: str
    kind: str = "marketing"
    category: str = "newsletter"
    language: str = "ja"
    context: dict[str, Any] = field(default_factory=dict)
    source_type: str = "manual"
    source_key: str = ""
    step_key: str = ""
    status: str = "pending"
    reason: str | None = None
    not_before: datetime | None = None


@dataclass(frozen=True, slots=True)
class Recorded:
    """Result of ``record``: ids by dedupe key, the new ``pending`` ids, and duplicates skipped."""

    ids: dict[str, int]
    pending: list[int]
    duplicates: int


def dedupe_key(
    customer_id: int,
    *,
    journey: str | None = None,
    step: str | None = None,
    campaign: str | None = None,
    message: str | None = None,
) -> str:
    """The unique key of a message: per (customer, journey step) or (customer, campaign)."""
    if campaign:
        return f"c:{campaign}:{customer_id}"
    if journey and step:
        return f"j:{journey}:{step}:{customer_id}"
    if message:
        return f"m:{message}:{customer_id}"
    raise ValueError("a dedupe key needs a campaign, a journey and step, or a message id")


def record(
    session: Session,
    messages: Sequence[MessageIn],
    *,
    max_attempts: int | None = None,
    at: datetime | None = None,
) -> Recorded:
    """Insert the messages not recorded yet (by dedupe key) and log held/dropped decisions."""
    at = at or now()
    max_attempts = max_attempts or get_channel_settings().outbox_max_attempts
    bulk = Bulk(session)
    latest = {m.dedupe_key: m for m in messages}
    known = bulk.fetch_map("outbox_messages", "dedupe_key", list(latest))
    todo = [m for key, m in latest.items() if key not in known]
    for m in todo:
        if m.status not in RECORDABLE:
            raise ValueError(f"cannot record a message as {m.status!r}; use {RECORDABLE}")
    stamp = bulk.time(at)
    marks = ", ".join("?" if col != "context" else bulk.json_mark() for col in _COLUMNS)
    bulk.executemany(
        f"INSERT INTO outbox_messages ({', '.join(_COLUMNS)}) VALUES ({marks}) "
        "ON CONFLICT (dedupe_key) DO NOTHING",
        [_row(bulk, m, max_attempts, stamp) for m in todo],
    )
    new = bulk.fetch_map("outbox_messages", "dedupe_key", [m.dedupe_key for m in todo])
    ids = {**known, **new}
    logs = [
        (
            ids[m.dedupe_key],
            m.customer_id,
            m.status,
            m.reason or m.status,
            {"not_before": m.not_before.isoformat()} if m.not_before else {},
        )
        for m in todo
        if m.status != "pending" and m.dedupe_key in new
    ]
    log_many(session, logs, at=at)
    pending = [new[m.dedupe_key] for m in todo if m.status == "pending" and m.dedupe_key in new]
    return Recorded(ids, pending, len(messages) - len(todo))


def _row(bulk: Bulk, m: MessageIn, max_attempts: int, stamp: Any) -> tuple[Any, ...]:
    return (
        m.dedupe_key,
        m.customer_id,
        m.channel,
        m.kind,
        m.category,
        m.template,
        m.language,
        bulk.json(m.context),
        m.source_type,
        m.source_key,
        m.step_key,
        m.status,
        m.reason,
        0,
        max_attempts,
        bulk.time(m.not_before),
        stamp,
        stamp,
    )


def log_many(
    session: Session,
    rows: Sequence[tuple[int | None, int | None, str, str, dict[str, Any]]],
    *,
    at: datetime | None = None,
) -> None:
    """Append ``(outbox_id, customer_id, action, reason, detail)`` rows to the message log."""
    if rows:
        bulk = Bulk(session)
        stamp = bulk.time(at or now())
        bulk.insert(
            "message_log",
            ("outbox_id", "customer_id", "action", "reason", "detail", "at"),
            [(o, c, action, reason[:120], bulk.json(d), stamp) for o, c, action, reason, d in rows],
        )


def claim(
    session: Session,
    ids: Sequence[int] | None,
    *,
    worker: str,
    lease_seconds: int,
    at: datetime | None = None,
    limit: int = 500,
) -> list[int]:
    """Take the due ``pending`` rows among ``ids`` (or any, oldest first) for ``worker``."""
    at = at or now()
    due = and_(
        OutboxMessage.status == "pending",
        or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= at),
    )
    if ids is None:
        ids = list(
            session.scalars(
                select(OutboxMessage.id).where(due).order_by(OutboxMessage.id).limit(limit)
            )
        )
    if not ids:
        return []
    stmt = (
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(list(ids)), due)
        .values(
            status="claimed",
            claimed_by=worker,
            updated_at=at,
            lease_until=at + timedelta(seconds=lease_seconds),
            attempts=OutboxMessage.attempts + 1,
        )
        .returning(OutboxMessage.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(session.scalars(stmt))


def _move(session: Session, outbox_id: int, worker: str, source: str, **values: Any) -> None:
    stmt = (
        update(OutboxMessage)
        .where(
            OutboxMessage.id == outbox_id,
            OutboxMessage.claimed_by == worker,
            OutboxMessage.status == source,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if session.execute(stmt).rowcount != 1:  # type: ignore[attr-defined]
        raise LeaseLost(f"outbox #{outbox_id} is no longer {source} by {worker}")


def mark_sending(session: Session, outbox_id: int, worker: str) -> None:
    """Commit the point of no return for a claimed row (``LeaseLost`` if no longer ours)."""
    _move(session, outbox_id, worker, "claimed", status="sending", updated_at=now())
    session.commit()


def mark_sent(session: Session, outbox_id: int, worker: str, provider_id: str | None) -> None:
    """The provider accepted the message."""
    stamp = now()
    _move(
        session,
        outbox_id,
        worker,
        "sending",
        status="sent",
        sent_at=stamp,
        updated_at=stamp,
        provider_id=provider_id,
        lease_until=None,
        reason=None,
    )
    session.commit()


def set_status(
    session: Session,
    outbox_id: int,
    customer_id: int | None,
    status: str,
    reason: str,
    *,
    error: str | None = None,
    not_before: datetime | None = None,
) -> None:
    """Move a row to ``held``/``dropped``/``failed``/``pending`` with a logged reason; commits."""
    values: dict[str, Any] = {
        "status": status,
        "reason": reason[:120],
        "updated_at": now(),
        "claimed_by": None,
        "lease_until": None,
    }
    if error is not None:
        values["last_error"] = error[:2000]
    if status in ("held", "pending"):
        values["next_attempt_at"] = not_before
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == outbox_id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    detail = {"error": error[:500]} if error else {}
    if not_before:
        detail["not_before"] = not_before.isoformat()
    log_many(session, [(outbox_id, customer_id, status, reason, detail)])
    session.commit()


def due_ids(session: Session, *, at: datetime | None = None, limit: int = 10_000) -> list[int]:
    """Ids of ``pending`` rows that are due, oldest first."""
    at = at or now()
    stmt = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.status == "pending",
            or_(OutboxMessage.next_attempt_at.is_(None), OutboxMessage.next_attempt_at <= at),
        )
        .order_by(OutboxMessage.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def status_counts(session: Session, source_type: str, source_key: str) -> dict[str, int]:
    """``{status: count}`` for a journey or campaign."""
    stmt = (
        select(OutboxMessage.status, func.count())
        .where(OutboxMessage.source_type == source_type, OutboxMessage.source_key == source_key)
        .group_by(OutboxMessage.status)
    )
    return {status: count for status, count in session.execute(stmt)}
