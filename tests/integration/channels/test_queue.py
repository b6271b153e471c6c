"""kit.queue: tasks declared once, bound to the configured storage (SQLite file, Redis, memory)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from kizuna.kit import queue

RAN: list[int] = []


@queue.task("tests.add_one", retries=2, retry_delay=1)
def add_one(value: int) -> None:
    RAN.append(value + 1)


def test_immediate_mode_runs_inline() -> None:
    queue.configure("memory://", immediate=True)
    queue.enqueue("tests.add_one", 41)
    queue.enqueue(add_one, 1)
    assert RAN[-2:] == [42, 2]


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_jobs_wait_in_durable_storage(kind: str, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'q.db'}" if kind == "sqlite" else "redis://127.0.0.1:6379/15"
    huey = queue.configure(url, name=f"t-{uuid.uuid4().hex[:6]}")
    try:
        queue.enqueue("tests.add_one", 1)
        queue.enqueue("tests.add_one", 2, delay=60)
        # a delayed job waits in the queue with its ETA; the consumer schedules it when it reads it
        assert sorted(task.eta is not None for task in huey.pending()) == [False, True]
        assert huey.store_intermediate_errors is False
    finally:
        huey.flush()


def test_errors_name_the_setting_and_the_task() -> None:
    with pytest.raises(ValueError, match="KIZUNA_QUEUE_URL"):
        queue.make_huey("amqp://x")
    queue.configure("memory://", immediate=True)
    with pytest.raises(KeyError, match="no task named 'nope'"):
        queue.enqueue("nope")
