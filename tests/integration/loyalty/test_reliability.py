"""The ledger under stress: 32 clients redeeming against one balance at once on PostgreSQL and
SQLite, and a process killed (SIGKILL) or failing half-way through a redemption."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from kizuna.kit.db import make_engine, make_sessionmaker, session_scope
from kizuna.loyalty.errors import InsufficientPoints
from kizuna.loyalty.ledger import core, post
from kizuna.loyalty.ledger.balance import balance, verify_ledger
from kizuna.loyalty.ledger.models import PointEntry, PointLot

from .factories import T0, days, member

CLIENTS = 32


def fund(sessions: sessionmaker[Session], lots: list[int]) -> int:
    """A member with one lot per amount, each expiring in a different month; the member id."""
    with session_scope(sessions) as session:
        cid = member(session)
    for n, points in enumerate(lots):
        with session_scope(sessions) as session:
            post.do_earn(
                session, cid, points, key=f"fund-{n}", reason="survey", at=T0 + days(31 * n)
            )
    return cid


def run_clients(work: Callable[[int], None]) -> None:
    start = threading.Barrier(CLIENTS)
    errors: list[BaseException] = []

    def client(n: int) -> None:
        start.wait()
        try:
            work(n)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors


@pytest.fixture
def pool(db_url: str):
    engine = make_engine(db_url, pool_size=CLIENTS, max_overflow=4)
    yield make_sessionmaker(engine)
    engine.dispose()


class TestConcurrentRedemption:
    def test_32_clients_never_overspend_one_balance(self, pool: sessionmaker[Session]) -> None:
        cid = fund(pool, [100, 60, 40])  # 200 points in three lots
        won: list[int] = []
        now = T0 + days(70)

        def redeem(n: int) -> None:
            try:
                with session_scope(pool) as session:
                    post.do_redeem(session, cid, 10, key=f"r-{n}", at=now)
                won.append(n)
            except InsufficientPoints:
                pass

        run_clients(redeem)
        assert len(won) == 20  # exactly 200 / 10
        with session_scope(pool) as session:
            assert balance(session, cid, at=now).points == 0
            assert verify_ledger(session) == []

    def test_mixed_redeems_holds_and_captures_reconcile_to_the_yen(
        self, pool: sessionmaker[Session]
    ) -> None:
        initial = [400, 350, 250]
        cid = fund(pool, initial)
        now = T0 + days(70)
        spent: list[int] = []
        lock = threading.Lock()

        def shop(n: int) -> None:
            rng = random.Random(n)
            for step in range(5):
                points = rng.randint(1, 60)
                try:
                    with session_scope(pool) as session:
                        if rng.random() < 0.5:
                            post.do_redeem(session, cid, points, key=f"r-{n}-{step}", at=now)
                        else:
                            hold = post.do_hold(session, cid, points, key=f"h-{n}-{step}", at=now)
                            if rng.random() < 0.3:
                                post.do_release(
                                    session, hold.hold_id or 0, key=f"x-{n}-{step}", at=now
                                )
                                continue
                            post.do_capture(session, hold.hold_id or 0, key=f"c-{n}-{step}", at=now)
                    with lock:
                        spent.append(points)
                except InsufficientPoints:
                    pass

        run_clients(shop)
        with session_scope(pool) as session:
            left = balance(session, cid, at=now).points
            entries = session.scalar(
                select(func.sum(PointEntry.points)).where(PointEntry.customer_id == cid)
            )
            negative = session.scalar(select(func.count()).where(PointLot.remaining < 0))
            assert verify_ledger(session) == []
        assert left >= 0 and negative == 0
        assert sum(initial) - sum(spent) == left == entries


CRASH = """
import os, signal, sys
from kizuna.kit.db import make_engine, make_sessionmaker, session_scope
from kizuna.loyalty.ledger import core, post
from tests.integration.loyalty.factories import T0, days

sessions = make_sessionmaker(make_engine(sys.argv[1]))
real_move, calls = core.move, []

def dying_move(session, entry, lot, points):
    real_move(session, entry, lot, points)
    calls.append(points)
    if len(calls) == 2:  # two lots touched, entry written: die between statements
        session.flush()
        os.kill(os.getpid(), signal.SIGKILL)

core.move = dying_move
with session_scope(sessions) as session:
    post.do_redeem(session, int(sys.argv[2]), 150, key="doomed", at=T0 + days(70))
print("survived")
"""


class TestAllOrNothing:
    def test_a_process_killed_mid_redemption_leaves_no_trace(
        self, db_url: str, sessions: sessionmaker[Session], tmp_path: Path
    ) -> None:
        cid = fund(sessions, [100, 100])
        script = tmp_path / "crash.py"
        script.write_text(textwrap.dedent(CRASH))
        root = Path(__file__).resolve().parents[3]
        done = subprocess.run(
            [sys.executable, str(script), db_url, str(cid)],
            cwd=root,
            env=os.environ | {"PYTHONPATH": str(root)},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == -signal.SIGKILL, done.stderr
        with session_scope(sessions) as session:
            assert balance(session, cid, at=T0 + days(70)).points == 200
            kinds = session.scalars(select(PointEntry.kind)).all()
            assert kinds == ["earn", "earn"]
            assert verify_ledger(session) == []
        with session_scope(sessions) as session:  # and the lock was released
            assert post.do_redeem(session, cid, 150, key="after", at=T0 + days(70)).balance == 50

    def test_an_exception_mid_redemption_rolls_everything_back(
        self, sessions: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        cid = fund(sessions, [100, 100])
        real_move = core.move
        calls: list[int] = []

        def failing_move(session: Session, entry, lot, points: int) -> None:
            real_move(session, entry, lot, points)
            calls.append(points)
            if len(calls) == 2:
                session.flush()
                raise RuntimeError("disk full")

        monkeypatch.setattr(core, "move", failing_move)
        with pytest.raises(RuntimeError), session_scope(sessions) as session:
            post.do_redeem(session, cid, 150, key="doomed", at=T0 + days(70))
        monkeypatch.undo()
        with session_scope(sessions) as session:
            assert balance(session, cid, at=T0 + days(70)).points == 200
            assert session.scalar(select(func.count()).select_from(PointEntry)) == 2
            assert verify_ledger(session) == []
