"""Locks for writers, in one place.

* SQLite allows one writer at a time. A writer takes the write lock when its transaction begins
  (``BEGIN IMMEDIATE``): a deferred transaction would first read a snapshot and could then fail
  to upgrade (``SQLITE_BUSY``) or act on stale data. Python's sqlite3 opens a transaction only
  before a write, so when none is open we issue ``BEGIN IMMEDIATE`` ourselves; when one is open
  this connection has already written and holds the lock.
* PostgreSQL writers serialise on a key with a transaction-scoped advisory lock
  (``pg_advisory_xact_lock``), released at commit or rollback, so that two requests recording
  the same order or customer at once cannot both insert it.
"""

from __future__ import annotations

import zlib

from sqlalchemy import text
from sqlalchemy.orm import Session


def begin_write(session: Session) -> None:
    """On SQLite, make sure this transaction holds the database's write lock."""
    if session.get_bind().dialect.name != "sqlite":
        return
    raw = session.connection().connection.driver_connection
    if raw is not None and not raw.in_transaction:
        raw.execute("BEGIN IMMEDIATE")


def lock_key(session: Session, *parts: str) -> None:
    """Serialise writers on ``parts`` until the transaction ends (SQLite: the write lock)."""
    if session.get_bind().dialect.name == "postgresql":
        key = zlib.crc32("\x1f".join(parts).encode()) - 2**31
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
    else:
        begin_write(session)
