"""Bulk writes through the DBAPI for the import paths (SQLite and PostgreSQL).

The ORM is right for single rows; for hundreds of thousands of rows, parameter processing per row
dominates, so the ingest services hand pre-converted tuples to ``cursor.executemany``. This module
hides the two dialects' differences: placeholders, datetime/JSON encoding, "insert or ignore".
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from sqlalchemy import Connection
from sqlalchemy.orm import Session

T = TypeVar("T")
SQLITE_MAX_VARS = 30000


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most ``size`` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Bulk:
    """Dialect-aware helper bound to one session's connection."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.conn: Connection = session.connection()
        self.dialect = self.conn.dialect.name
        self.mark = "?" if self.dialect == "sqlite" else "%s"

    def marks(self, count: int) -> str:
        """``?, ?, ?`` (SQLite) or ``%s, %s, %s`` (PostgreSQL)."""
        return ", ".join([self.mark] * count)

    def sql(self, text: str) -> str:
        """SQL written with ``?`` placeholders, translated for the dialect."""
        return text if self.dialect == "sqlite" else text.replace("?", "%s")

    def time(self, moment: datetime | None) -> Any:
        """An aware datetime as the dialect stores it (SQLite: naive UTC text like SQLAlchemy)."""
        if moment is None:
            return None
        if self.dialect == "sqlite":
            return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
        return moment

    def day(self, value: date | None) -> Any:
        """A date as the dialect stores it (SQLite: ISO text, without the deprecated adapter)."""
        if value is None or self.dialect != "sqlite":
            return value
        return value.isoformat()

    def json(self, value: Any) -> Any:
        """A JSON document as a parameter."""
        return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)

    def json_mark(self) -> str:
        """Placeholder for a JSON column (PostgreSQL needs a cast from text)."""
        return "?" if self.dialect == "sqlite" else "CAST(? AS JSONB)"

    def insert(self, table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
        """Insert many new rows: ``COPY … FROM STDIN`` on PostgreSQL, ``executemany`` on SQLite.

        COPY is about ten times faster than row-by-row inserts on PostgreSQL; it cannot skip
        conflicts, so callers pass only rows they know are new (the services look them up first).
        """
        rows = list(rows)
        if not rows:
            return
        names = ", ".join(columns)
        if self.dialect != "postgresql":
            self.executemany(
                f"INSERT INTO {table} ({names}) VALUES ({self.marks(len(columns))})", rows
            )
            return
        cursor = self.conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def executemany(self, text: str, rows: Iterable[Sequence[Any]]) -> None:
        """Run one statement for many parameter rows."""
        rows = list(rows)
        if rows:
            self.conn.exec_driver_sql(self.sql(text), rows)

    def fetch_map(self, table: str, key: str, keys: Sequence[Any], columns: str = "id") -> dict:
        """``{key: (columns…)}`` for the rows of ``table`` whose ``key`` is in ``keys``."""
        out: dict[Any, Any] = {}
        width = len(columns.split(","))
        for part in chunks(list(keys), 5000):
            text = f"SELECT {key}, {columns} FROM {table} WHERE {key} IN ({self.marks(len(part))})"
            for row in self.conn.exec_driver_sql(self.sql(text), tuple(part)):
                out[row[0]] = row[1] if width == 1 else tuple(row[1:])
        return out
