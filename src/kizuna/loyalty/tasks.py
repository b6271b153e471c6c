"""Loyalty jobs, as plain functions over a session factory; each commits its own batches.

========================================  ==================  ================================
job                                       schedule (shop tz)  what
========================================  ==================  ================================
``loyalty.expire_points``                 daily 00:05         time out holds, expire due lots
``loyalty.release_expired_holds``         every 5 minutes     time out abandoned checkouts
``loyalty.evaluate_stages``               monthly, 1st 01:00  stage evaluation for everyone
========================================  ==================  ================================

Each is idempotent: run twice, the second run finds nothing due. Expiry works in batches of
customers, each batch one transaction that locks its customers' accounts (ascending id) and
writes its EXPIRE entries, movements and lot updates with three set-based statements, so a
million due lots never pass through Python. The schedule is for ``jobs.py`` to register.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, text
from sqlalchemy.orm import Session, sessionmaker

from kizuna.kit.bulk import chunks
from kizuna.kit.clock import now
from kizuna.kit.db import UTCDateTime, session_scope
from kizuna.loyalty.ledger import sweep
from kizuna.loyalty.ledger.models import PointHold, PointLot
from kizuna.loyalty.locking import lock_customer, lock_customers
from kizuna.loyalty.stage_eval import EvaluationRun, evaluate_all_stages

SCHEDULE = {
    "loyalty.expire_points": "5 0 * * *",
    "loyalty.release_expired_holds": "*/5 * * * *",
    "loyalty.evaluate_stages": "0 1 1 * *",
}


@dataclass(frozen=True, slots=True)
class ExpiryRun:
    customers: int
    lots: int
    points: int
    holds_released: int
    seconds: float


def release_expired_holds(sessions: sessionmaker[Session], *, at: datetime | None = None) -> int:
    """Release every hold past its timeout; how many were released."""
    return _release_holds(sessions, at or now())[0]


def _release_holds(sessions: sessionmaker[Session], at: datetime) -> tuple[int, int, int, int]:
    """``(holds released, customers, lots expired, points expired)``: the sweep of each customer
    with a timed-out hold also expires that customer's due lots."""
    with session_scope(sessions) as session:
        owners = session.scalars(
            select(PointHold.customer_id)
            .where(PointHold.status == "active", PointHold.expires_at <= at)
            .distinct()
        ).all()
    released = lots = points = 0
    for batch in chunks(sorted(owners), 500):
        with session_scope(sessions) as session:
            for customer_id in batch:
                lock_customer(session, customer_id, check_exists=False)
                for entry in sweep.sweep(session, customer_id, at):
                    released += entry.kind == "release"
                    lots += entry.kind == "expire"
                    points -= entry.points if entry.kind == "expire" else 0
    return released, len(owners), lots, points


def _expire_batch(session: Session, ids: Sequence[int], at: datetime) -> tuple[int, int]:
    """Expire the due lots of ``ids`` (already locked) in three set-based statements."""
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        who, params = "customer_id = ANY(:ids)", {"at": at, "ids": list(ids)}
        key = "'expire:' || lpad(CAST(id AS TEXT), 12, '0') || ':' || CAST(moves AS TEXT)"
    else:  # SQLite: the whole file is locked, so a range is safe and needs two parameters
        who, params = "customer_id BETWEEN :lo AND :hi", {"at": at, "lo": ids[0], "hi": ids[-1]}
        key = "'expire:' || printf('%012d', id) || ':' || moves"
    due = f"remaining != 0 AND remaining > 0 AND expires_at <= :at AND {who}"  # open-lots index

    def run(sql: str) -> Any:
        stmt = text(sql)
        if ":at" in sql:
            stmt = stmt.bindparams(bindparam("at", type_=UTCDateTime()))
        return session.execute(stmt, params)

    count, total = run(
        f"SELECT COUNT(*), COALESCE(SUM(remaining), 0) FROM point_lots WHERE {due}"
    ).one()
    entries = (
        "INSERT INTO point_entries (customer_id, kind, points, idempotency_key, fingerprint, "
        "reason, actor, lot_id, deducted_points, waived_points, created_at) "
        f"SELECT customer_id, 'expire', -remaining, {key}, 'expire', 'expiry', 'system', id, "
        f"0, 0, :at FROM point_lots WHERE {due} ORDER BY id"
    )
    if postgres:  # one statement: the movements come from the inserted rows themselves
        run(
            f"WITH e AS ({entries} RETURNING id, lot_id, points) "
            "INSERT INTO point_movements (entry_id, lot_id, points) "
            "SELECT id, lot_id, points FROM e"
        )
    else:  # our customers are locked: every expire entry of theirs above this id is ours
        params["before"] = session.scalar(text("SELECT COALESCE(MAX(id), 0) FROM point_entries"))
        run(entries)
        run(
            "INSERT INTO point_movements (entry_id, lot_id, points) SELECT id, lot_id, points "
            f"FROM point_entries WHERE id > :before AND kind = 'expire' AND {who}"
        )
    run(f"UPDATE point_lots SET remaining = 0, moves = moves + 1 WHERE {due}")
    return int(count), int(total)


def expire_points(
    sessions: sessionmaker[Session], *, at: datetime | None = None, batch: int = 20_000
) -> ExpiryRun:
    """The nightly expiry: release timed-out holds, then expire every due lot."""
    started, at = time.perf_counter(), at or now()
    released, swept, lots, points = _release_holds(sessions, at)
    with session_scope(sessions) as session:
        owners = session.scalars(
            select(PointLot.customer_id)
            .where(PointLot.remaining > 0, PointLot.expires_at <= at)
            .distinct()
            .order_by(PointLot.customer_id)
        ).all()
    for ids in chunks(list(owners), batch):
        with session_scope(sessions) as session:
            lock_customers(session, ids)
            count, total = _expire_batch(session, ids, at)
            lots, points = lots + count, points + total
    customers = len(owners) + swept
    return ExpiryRun(customers, lots, points, released, time.perf_counter() - started)


def evaluate_stages(
    sessions: sessionmaker[Session], *, at: datetime | None = None
) -> EvaluationRun:
    """The monthly stage evaluation for every member, in one transaction."""
    with session_scope(sessions) as session:
        return evaluate_all_stages(session, at=at)
