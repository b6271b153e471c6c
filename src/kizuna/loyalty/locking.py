"""Every lock the loyalty domain takes, in one place.

Lock order (to rule out deadlocks): a verb takes **one customer's account row first**, then, if
it needs one, **the coupon row**. Jobs that touch many customers lock the accounts in ascending
``customer_id`` order, in batches, and never take a coupon lock. Nothing locks a customer while
holding a coupon.

* PostgreSQL: ``SELECT … FROM loyalty_accounts WHERE customer_id = … FOR UPDATE``. The account row
  is created first if missing (``INSERT … ON CONFLICT DO NOTHING``) so that there is a row to lock
  even for a customer's very first entry. Under READ COMMITTED each later statement sees what
  the previous lock holder committed, so balance checks read the truth.
* SQLite: one writer at a time for the whole file. ``BEGIN IMMEDIATE`` takes the write lock at
  the start of the transaction, before anything is read; a plain deferred transaction would read
  a snapshot first and could then fail to upgrade (``SQLITE_BUSY``) or, worse, decide on a stale
  balance. Python's sqlite3 (legacy transaction mode) opens a transaction only before a write,
  so when none is open yet we issue ``BEGIN IMMEDIATE`` ourselves; when one is open, this
  connection already holds the write lock (it has written), which is just as good. Threads of
  one process first queue on an in-process gate per database, released when the session's
  transaction ends, so that they take turns instead of polling SQLite's busy handler.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from sqlalchemy import event, text
from sqlalchemy.orm import Session, SessionTransaction

from kizuna.customers.service import get_customer
from kizuna.kit.errors import Conflict

GATE_TIMEOUT = 30.0  # seconds a thread waits for the SQLite writer gate before giving up
_GATES: dict[str, threading.Lock] = {}
_GATE_KEY = "kizuna.loyalty.sqlite_gate"


def lock_customer(session: Session, customer_id: int, *, check_exists: bool = True) -> None:
    """Hold the customer's loyalty lock until the transaction ends (``NotFound`` if unknown).

    The account row normally exists, so this is one statement; the first time, the customer is
    checked and the row created (``ON CONFLICT DO NOTHING``: a concurrent creator waits for the
    other's commit, then both lock the same row)."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        begin_immediate(session)
    lock = " FOR UPDATE" if dialect == "postgresql" else ""
    select_row = text(f"SELECT customer_id FROM loyalty_accounts WHERE customer_id = :c{lock}")
    if session.execute(select_row, {"c": customer_id}).first() is not None:
        return
    if check_exists:
        get_customer(session, customer_id)
    session.execute(
        text(
            "INSERT INTO loyalty_accounts (customer_id, qualifying) VALUES (:c, 0) "
            "ON CONFLICT (customer_id) DO NOTHING"
        ),
        {"c": customer_id},
    )
    if lock:
        session.execute(select_row, {"c": customer_id})


def lock_customers(session: Session, customer_ids: Sequence[int]) -> None:
    """Lock many accounts (jobs): ascending id order on PostgreSQL; the file lock on SQLite."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        begin_immediate(session)
        return
    if dialect == "postgresql" and customer_ids:
        session.execute(
            text(
                "SELECT customer_id FROM loyalty_accounts WHERE customer_id = ANY(:ids) "
                "ORDER BY customer_id FOR UPDATE"
            ),
            {"ids": sorted(customer_ids)},
        )


def lock_row(session: Session, table: str, row_id: int) -> None:
    """Lock one row of ``table`` (coupons); always after the customer's lock."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text(f"SELECT id FROM {table} WHERE id = :i FOR UPDATE"), {"i": row_id})


def begin_immediate(session: Session) -> None:
    """On SQLite, make sure this transaction holds the database's write lock."""
    connection = session.connection()
    raw = connection.connection.driver_connection
    if raw is None or raw.in_transaction:
        return
    # SQLite's busy handler polls with growing sleeps, so under contention waiters oversleep
    # and can starve past the busy timeout; threads of one process queue on a lock instead.
    gate = _GATES.setdefault(str(connection.engine.url), threading.Lock())
    if not gate.acquire(timeout=GATE_TIMEOUT):
        raise Conflict("the points ledger is busy; try again", code="ledger_busy")
    try:
        raw.execute("BEGIN IMMEDIATE")
    except BaseException:
        gate.release()
        raise
    session.info[_GATE_KEY] = gate
    if not event.contains(session, "after_transaction_end", _open_gate):
        event.listen(session, "after_transaction_end", _open_gate)


def _open_gate(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        gate = session.info.pop(_GATE_KEY, None)
        if gate is not None:
            gate.release()
