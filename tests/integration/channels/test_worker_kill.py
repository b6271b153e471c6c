"""Exactly once under a crash: a worker process (the Huey consumer) is killed with SIGKILL in
the middle of a batch, restarted, and every message arrives at the SMTP sink exactly once.

The queue runs on SQLite (the embedded default) and on Redis (127.0.0.1:6379). The kill happens
inside the SMTP server when the worker starts the K-th message (at MAIL FROM), so the test is
deterministic; the other crash point, after the final dot, is covered in test_email_smtp.py.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from kizuna.channels import outbox
from kizuna.channels import tasks as channel_tasks
from kizuna.channels.models import MessageLog, OutboxMessage
from kizuna.kit import queue
from tests.integration.channels.helpers import SmtpSink, add_customers, smtp_sink

ROOT = Path(__file__).resolve().parents[3]
MESSAGES, BATCH, KILL_AT = 120, 20, 47


def _redis_up() -> bool:
    try:
        return bool(redis.Redis.from_url("redis://127.0.0.1:6379/0").ping())
    except redis.RedisError:
        return False


@pytest.fixture(params=["sqlite_queue", "redis_queue"])
def queue_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite_queue":
        yield f"sqlite:///{tmp_path / 'queue.db'}"
        return
    if not _redis_up():
        pytest.fail("Redis is not running on 127.0.0.1:6379 (the CI script starts it)")
    yield "redis://127.0.0.1:6379/15"


class Worker:
    """A worker subprocess over the given record, queue and SMTP sink."""

    def __init__(self, db_url: str, queue_url: str, name: str, smtp_url: str) -> None:
        self.env = {
            **os.environ,
            "KIZUNA_DATABASE_URL": db_url,
            "KIZUNA_QUEUE_URL": queue_url,
            "KIZUNA_TEST_QUEUE": name,
            "KIZUNA_SMTP_URL": smtp_url,
            "KIZUNA_OUTBOX_LEASE_SECONDS": "2",
            "KIZUNA_OUTBOX_BATCH_SIZE": str(BATCH),
        }
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.integration.channels.worker_main"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)

    def stop(self) -> str:
        assert self.proc is not None
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        _, err = self.proc.communicate()
        return err.decode(errors="replace")[-3000:]


def _settled(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as s:
        stmt = select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        return dict(s.execute(stmt).all())


def _wait(sessions: sessionmaker[Session], done: int, timeout: float) -> dict[str, int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        counts = _settled(sessions)
        if counts.get("sent", 0) + counts.get("held", 0) >= done:
            return counts
        time.sleep(0.2)
    return _settled(sessions)


def test_killed_worker_restarts_and_every_message_arrives_once(
    sqlite_url: str, queue_url: str
) -> None:
    from kizuna.kit.db import make_engine, make_sessionmaker

    engine = make_engine(sqlite_url)
    sessions = make_sessionmaker(engine)
    name = f"kill-{uuid.uuid4().hex[:8]}"
    # given 120 recorded newsletter messages, enqueued in batches of 20
    with sessions() as s:
        ids = add_customers(s, MESSAGES)
        messages = [
            outbox.MessageIn(
                outbox.dedupe_key(c, campaign="kill"),
                c,
                "email",
                "welcome",
                source_type="campaign",
                source_key="kill",
            )
            for c in ids
        ]
        pending = outbox.record(s, messages).pending
        s.commit()
    huey = queue.configure(queue_url, name=name)
    huey.flush()
    try:
        with smtp_sink() as sink:
            worker = Worker(sqlite_url, queue_url, name, sink.url)
            assert channel_tasks.enqueue_ids(pending, BATCH) == MESSAGES // BATCH
            # when the worker is killed as it starts the 47th message (mid-batch, mid-send)
            sink.on_mail = lambda n: worker.kill() if n == KILL_AT else None
            worker.start()
            assert worker.proc is not None and worker.proc.wait(60) == -signal.SIGKILL
            log = worker.stop()
            before = len(sink.received)
            assert 0 < before < MESSAGES, log
            # and restarted once the dead worker's lease has run out
            time.sleep(2.5)
            worker.start()
            counts = _wait(sessions, MESSAGES, timeout=90)
            log = worker.stop()
        # then every message arrived exactly once and every row is sent
        assert counts == {"sent": MESSAGES}, log
        assert sorted(_arrivals(sink).values()) == [1] * MESSAGES
        with sessions() as s:
            recovered = s.scalars(select(MessageLog.reason)).all()
        assert "recovered_claim" in recovered  # the killed batch was picked up, not lost
    finally:
        huey.flush()
        engine.dispose()


def _arrivals(sink: SmtpSink) -> dict[str, int]:
    return sink.count("X-Kizuna-Message")
