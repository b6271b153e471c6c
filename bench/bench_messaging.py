"""Campaign send throughput: a personalised newsletter to N recipients (100k by default),
submitted through the guards into the outbox, then rendered and sent by the real worker (the
Huey consumer, 2 worker processes) to a local SMTP sink (aiosmtpd in its own process), all on
this machine. Reports messages/hour (target ≥ 500,000 on 2 cores) and the submit rate.

    .venv/bin/python -m bench.bench_messaging --sizes 100k [--workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import harness

SINK = r"""
import json, signal, sys, threading
from aiosmtpd.controller import Controller
count = [0]
class Sink:
    async def handle_DATA(self, server, session, envelope):
        count[0] += 1
        return "250 OK"
controller = Controller(Sink(), hostname="127.0.0.1", port=int(sys.argv[1]))
controller.start()
print("ready", flush=True)
done = threading.Event()
signal.signal(signal.SIGTERM, lambda *a: done.set())
done.wait()
controller.stop()
print(json.dumps({"received": count[0]}), flush=True)
"""
WORKER = (
    "import sys; from kizuna.kit import queue; queue.configure(sys.argv[1], name=sys.argv[2]); "
    "queue.run_worker(['kizuna.channels.tasks'], workers=int(sys.argv[3]), worker_type='process')"
)
ITEMS = [
    {"name": f"商品{i}", "price": f"¥{1000 + 500 * i:,}", "url": f"https://shop.example.jp/p/{i}"}
    for i in range(4)
]


def _seed(url: str, count: int) -> None:
    from kizuna.kit.bulk import Bulk
    from kizuna.kit.db import make_engine, make_sessionmaker, session_scope
    from kizuna.kit.migrate import upgrade

    engine = make_engine(url)
    upgrade(engine)
    with session_scope(make_sessionmaker(engine)) as session:
        bulk = Bulk(session)
        stamp = bulk.time(datetime(2024, 1, 1, tzinfo=UTC))
        bulk.executemany(
            "INSERT INTO customers (id, family_name, given_name, is_member, gender, "
            "registration_channel, marketing_status, attributes, is_problem, created_at, "
            "updated_at) VALUES (?, ?, ?, 1, 'unknown', 'online', 'subscribed', '{}', 0, ?, ?)",
            [(i, "山田", f"花子{i}", stamp, stamp) for i in range(1, count + 1)],
        )
        bulk.executemany(
            "INSERT INTO identities (customer_id, kind, value, created_at) VALUES (?, ?, ?, ?)",
            [(i, "email", f"c{i}@example.jp", stamp) for i in range(1, count + 1)],
        )
        bulk.executemany(
            "INSERT INTO consent_changes (customer_id, channel, granted, source, changed_at) "
            "VALUES (?, 'email', 1, 'bench', ?)",
            [(i, stamp) for i in range(1, count + 1)],
        )
    engine.dispose()


def _submit(url: str, count: int, campaign: str) -> tuple[float, list[int]]:
    from kizuna.automation.sending import submit
    from kizuna.channels.outbox import MessageIn, dedupe_key
    from kizuna.kit.db import make_engine, make_sessionmaker, session_scope

    engine = make_engine(url)
    pending: list[int] = []
    start = time.perf_counter()
    at = datetime(2024, 6, 3, 3, 0, tzinfo=UTC) + timedelta(days=1)
    for first in range(1, count + 1, 10_000):
        ids = range(first, min(first + 10_000, count + 1))
        messages = [
            MessageIn(
                dedupe_key(c, campaign=campaign),
                c,
                "email",
                "newsletter",
                context={
                    "headline": "夏のセール",
                    "intro": "人気商品が最大30%オフ",
                    "items": ITEMS,
                },
                source_type="campaign",
                source_key=campaign,
            )
            for c in ids
        ]
        with session_scope(make_sessionmaker(engine)) as session:
            pending += submit(session, messages, at=at).pending
    seconds = time.perf_counter() - start
    engine.dispose()
    return seconds, pending


def _sent(url: str) -> int:
    from sqlalchemy import text

    from kizuna.kit.db import make_engine

    engine = make_engine(url)
    with engine.connect() as conn:
        value = conn.execute(
            text(
                "SELECT count(*) FROM outbox_messages WHERE status IN "
                "('sent', 'failed', 'dropped', 'held')"
            )
        ).scalar_one()
    engine.dispose()
    return int(value)


def measure(count: int, workers: int = 2, batch: int = 500) -> list[dict[str, Any]]:
    """Seed, submit and send ``count`` messages; returns the measurements."""
    from kizuna.channels.tasks import enqueue_ids
    from kizuna.kit import queue

    folder = Path(tempfile.mkdtemp(prefix="kizuna_bench_msg_"))
    db_url, queue_url = f"sqlite:///{folder / 'record.db'}", f"sqlite:///{folder / 'queue.db'}"
    name, port = f"bench-{uuid.uuid4().hex[:6]}", _free_port()
    _seed(db_url, count)
    submit_s, pending = _submit(db_url, count, "summer")
    env = {
        **os.environ,
        "KIZUNA_DATABASE_URL": db_url,
        "KIZUNA_SMTP_URL": f"smtp://127.0.0.1:{port}",
        "KIZUNA_PUBLIC_URL": "https://crm.example.jp",
        "KIZUNA_OUTBOX_BATCH_SIZE": str(batch),
    }
    sink = subprocess.Popen(
        [sys.executable, "-c", SINK, str(port)], stdout=subprocess.PIPE, text=True
    )
    assert sink.stdout is not None and sink.stdout.readline().strip() == "ready"
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, queue_url, name, str(workers)],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    queue.configure(queue_url, name=name)
    try:
        warm, rest = pending[: workers * 2], pending[workers * 2 :]
        enqueue_ids(warm, 1)
        _wait(db_url, len(warm), worker)
        start = time.perf_counter()
        enqueue_ids(rest, batch)
        _wait(db_url, len(pending), worker)
        seconds = time.perf_counter() - start
    finally:
        worker.send_signal(signal.SIGINT)
        worker.wait(30)
        sink.send_signal(signal.SIGTERM)
        received = json.loads(sink.communicate(timeout=30)[0].strip().splitlines()[-1])["received"]
        shutil.rmtree(folder, ignore_errors=True)
    if received != len(pending):
        raise RuntimeError(f"sink received {received} messages, expected {len(pending)}")
    per_hour = len(rest) / seconds * 3600
    size = f"{harness.size_label(count)} recipients"
    setup = (
        f"SQLite record and queue, {workers} worker processes, batches of {batch}, "
        "aiosmtpd sink in its own process, all on this machine"
    )
    return [
        harness.record(
            "campaign_send_smtp",
            size,
            "messages_per_hour",
            round(per_hour),
            "msg/h",
            target=500_000,
            notes=setup,
            extra={"seconds": seconds, "messages": len(rest), "sink_received": received},
        ),
        harness.record(
            "campaign_send_smtp",
            size,
            "submit_guards_and_record",
            round(count / submit_s),
            "msg/s",
            notes="holdout off; consent, suppression, problem, quiet hours, "
            "frequency cap checked in bulk, then recorded in the outbox",
        ),
    ]


def _wait(url: str, done: int, worker: subprocess.Popen[str], timeout: float = 3600) -> None:
    deadline = time.monotonic() + timeout
    while _sent(url) < done:
        if worker.poll() is not None:
            raise RuntimeError(f"worker exited: {worker.stderr.read() if worker.stderr else ''}")
        if time.monotonic() > deadline:
            raise TimeoutError("the campaign did not finish")
        time.sleep(0.5)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run(sizes: list[int], repeat: int = 1) -> list[dict[str, Any]]:
    """Called by ``bench.run``: sizes up to 100k (1m would take most of an hour)."""
    results: list[dict[str, Any]] = []
    for size in [s for s in sizes if s <= 100_000] or [100_000]:
        results += measure(size)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100k")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    for size in harness.parse_sizes(args.sizes):
        for item in measure(size, args.workers, args.batch):
            print(
                json.dumps({k: item[k] for k in ("capability", "size", "metric", "value", "unit")})
            )
    harness.refresh_summary()


if __name__ == "__main__":
    main()
