"""Benchmark: the loyalty ledger and jobs on SQLite and PostgreSQL.

1. **Earn/redeem throughput at the service level**: 16 threads, each op one transaction calling
   ``do_earn`` or ``do_redeem`` (alternating) for a random member out of 10,000 pre-funded ones
   ("spread"), and all 16 threads on one member ("hot": every op waits for the same lock).
   Ops/s and p50/p99 latency per op. Target from the issue (for the HTTP path, on PostgreSQL):
   ≥ 1,000 ops/s and p99 ≤ 50 ms; the service level is its upper bound.
2. **Nightly expiry** (``tasks.expire_points``) with one due lot per customer, and
3. **monthly stage evaluation** (``tasks.evaluate_stages``, first run: every member joins; then
   a steady-state re-run) with two orders per customer in the fiscal year, at each size
   (customers). Seconds and the worker process's peak memory (each job runs in a fresh worker
   process over a database loaded beforehand, so loading does not count).

    .venv/bin/python -m bench.bench_loyalty --sizes 100k,1m --backends sqlite,postgresql
    .venv/bin/python -m bench.run --only loyalty --sizes 100k

Scratch databases: SQLite files under the temp folder, PostgreSQL ``kizuna_bench_loyalty_*``
(admin URL from ``KIZUNA_BENCH_PG``), dropped afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import psycopg

from bench import harness
from kizuna.kit.bulk import Bulk
from kizuna.kit.db import make_engine, make_sessionmaker, session_scope
from kizuna.kit.migrate import upgrade
from kizuna.loyalty.errors import InsufficientPoints
from kizuna.loyalty.ledger import post

PG_ADMIN = os.environ.get("KIZUNA_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
NOW = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)
THREADS = 16


@contextmanager
def scratch(backend: str) -> Iterator[str]:
    """A fresh, migrated database URL, removed afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="kizuna_bench_loyalty_") as folder:
            url = f"sqlite:///{Path(folder) / 'bench.db'}"
            _migrate(url)
            yield url
        return
    name = f"kizuna_bench_loyalty_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    url = PG_ADMIN.rsplit("/", 1)[0] + "/" + name
    try:
        _migrate(url)
        yield url
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]


def _migrate(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()


def load(
    url: str, customers: int, *, points: int = 0, expired: bool = False, orders: int = 0
) -> None:
    """Bulk-load members (ids 1…n) with accounts, optionally one lot each (due when
    ``expired``) and ``orders`` orders each in the current fiscal year."""
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    rng = np.random.default_rng(7)
    step = 200_000
    for start in range(1, customers + 1, step):
        ids = range(start, min(start + step, customers + 1))
        with session_scope(sessions) as session:
            bulk = Bulk(session)
            stamp = bulk.time(NOW - timedelta(days=400))
            bulk.insert(
                "customers",
                (
                    "id",
                    "external_id",
                    "is_member",
                    "gender",
                    "registration_channel",
                    "marketing_status",
                    "attributes",
                    "is_problem",
                    "created_at",
                    "updated_at",
                ),
                [
                    (
                        i,
                        f"B{i}",
                        True,
                        "unknown",
                        "online",
                        "never_asked",
                        "{}",
                        False,
                        stamp,
                        stamp,
                    )
                    for i in ids
                ],
            )
            bulk.insert("loyalty_accounts", ("customer_id", "qualifying"), [(i, 0) for i in ids])
            if points:
                _lots(bulk, ids, points, expired)
            if orders:
                _orders(bulk, ids, orders, rng)
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            for table in ("customers", "point_entries", "point_lots", "point_movements", "orders"):
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"
                )
                conn.exec_driver_sql(f"ANALYZE {table}")
    engine.dispose()


def _lots(bulk: Bulk, ids: range, points: int, expired: bool) -> None:
    earned = bulk.time(NOW - timedelta(days=500 if expired else 10))
    expires = bulk.time(NOW - timedelta(days=30) if expired else NOW + timedelta(days=3650))
    bulk.insert(
        "point_entries",
        (
            "id",
            "customer_id",
            "kind",
            "points",
            "idempotency_key",
            "fingerprint",
            "reason",
            "actor",
            "deducted_points",
            "waived_points",
            "created_at",
        ),
        [
            (i, i, "earn", points, f"seed:{i}", "seed", "survey", "system", 0, 0, earned)
            for i in ids
        ],
    )
    bulk.insert(
        "point_lots",
        (
            "id",
            "customer_id",
            "entry_id",
            "is_debt",
            "points",
            "remaining",
            "moves",
            "earned_at",
            "expires_at",
        ),
        [(i, i, i, False, points, points, 1, earned, expires) for i in ids],
    )
    bulk.insert(
        "point_movements", ("id", "entry_id", "lot_id", "points"), [(i, i, i, points) for i in ids]
    )


def _orders(bulk: Bulk, ids: range, per: int, rng: np.random.Generator) -> None:
    rows = []
    amounts = rng.integers(1_000, 60_000, size=len(ids) * per)
    offsets = rng.integers(1, 230, size=len(ids) * per)
    stamp = bulk.time(NOW)
    for n, (i, k) in enumerate((i, k) for i in ids for k in range(per)):
        amount = int(amounts[n])
        placed = bulk.time(NOW - timedelta(days=int(offsets[n])))
        rows.append(
            (
                i * per + k,
                f"O{i}-{k}",
                i,
                "online",
                "paid",
                "JPY",
                placed,
                amount,
                0,
                0,
                0,
                amount,
                stamp,
                stamp,
            )
        )
    bulk.insert(
        "orders",
        (
            "id",
            "order_number",
            "customer_id",
            "channel",
            "status",
            "currency",
            "placed_at",
            "subtotal",
            "discount",
            "shipping_fee",
            "points_used",
            "total",
            "created_at",
            "updated_at",
        ),
        rows,
    )


def throughput(url: str, members: int, ops_per_thread: int, hot: bool) -> dict[str, float]:
    """16 threads alternating earn/redeem; ops/s and latency percentiles (ms)."""
    engine = make_engine(url, pool_size=THREADS, max_overflow=0)
    sessions = make_sessionmaker(engine)
    latencies: list[float] = []
    lock, gate = threading.Lock(), threading.Barrier(THREADS + 1)
    short = [0]

    def client(n: int) -> None:
        rng, mine = random.Random(n), []
        gate.wait()
        for k in range(ops_per_thread):
            customer = 1 if hot else rng.randint(1, members)
            start = time.perf_counter()
            try:
                with session_scope(sessions) as session:
                    if k % 2:
                        post.do_redeem(session, customer, 5, key=f"r{n}-{k}", at=NOW)
                    else:
                        post.do_earn(session, customer, 10, key=f"e{n}-{k}", reason="bench", at=NOW)
            except InsufficientPoints:
                short[0] += 1
            mine.append(time.perf_counter() - start)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    gate.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    engine.dispose()
    ordered = sorted(latencies)
    return {
        "ops_s": len(ordered) / wall,
        "p50_ms": statistics.median(ordered) * 1000,
        "p99_ms": ordered[int(len(ordered) * 0.99) - 1] * 1000,
        "ops": len(ordered),
        "refused": short[0],
    }


def _peak_mib() -> float:
    """This process's peak resident memory since its ``exec`` (``VmHWM``; ``ru_maxrss`` would
    carry over the forking parent's peak)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return harness.peak_rss_mb()


def worker(job: str, url: str) -> None:
    """Run one job over a loaded database and print its figures (run in a fresh process)."""
    from kizuna.loyalty.tasks import evaluate_stages, expire_points

    sessions = make_sessionmaker(make_engine(url))
    if job == "expire":
        run = expire_points(sessions, at=NOW)
        figures = {"seconds": run.seconds, "lots": run.lots, "points": run.points}
    else:
        first = evaluate_stages(sessions, at=NOW)
        again = evaluate_stages(sessions, at=NOW + timedelta(days=6))
        figures = {
            "seconds": first.seconds,
            "again_seconds": again.seconds,
            "members": first.members,
            "joined": first.joined,
        }
    print(json.dumps(figures | {"peak_mib": _peak_mib()}))


def _job(job: str, url: str) -> tuple[dict[str, Any], float]:
    done = harness.run_command(
        [sys.executable, "-m", "bench.bench_loyalty", "--worker", job, "--url", url],
        env=os.environ | {"PYTHONPATH": str(harness.ROOT)},
    )
    if done.returncode != 0:
        raise RuntimeError(f"{job} worker failed: {done.stderr[-2000:]}")
    figures = done.json_lines()[-1]
    return figures, figures["peak_mib"]


def run(
    sizes: list[int],
    repeat: int = 1,
    backends: tuple[str, ...] = ("sqlite", "postgresql"),
    ops_per_thread: int = 300,
    with_throughput: bool = True,
) -> list[dict]:
    """All measurements, recorded in ``bench/results``."""
    out = []
    for backend in backends:
        if with_throughput:
            out += _throughput(backend, ops_per_thread)
        for size in sizes:
            out += _jobs(backend, size)
    return out


def _throughput(backend: str, ops_per_thread: int) -> list[dict]:
    out = []
    for label, hot in (("spread", False), ("hot", True)):
        with scratch(backend) as url:
            load(url, 10_000, points=1_000)
            figures = throughput(url, 10_000, ops_per_thread, hot)
        capability = f"loyalty earn/redeem {backend} 16 threads ({label})"
        size = "10k members" if not hot else "1 member"
        note = f"{figures['ops']} ops, service level (no HTTP), one transaction per op"
        out.append(
            harness.record(
                capability,
                size,
                "ops/s",
                round(figures["ops_s"]),
                "ops/s",
                target=1000 if backend == "postgresql" else None,
                notes=note,
            )
        )
        out.append(
            harness.record(
                capability, size, "p50 latency", round(figures["p50_ms"], 2), "ms", better="lower"
            )
        )
        out.append(
            harness.record(
                capability,
                size,
                "p99 latency",
                round(figures["p99_ms"], 2),
                "ms",
                better="lower",
                target=50 if backend == "postgresql" else None,
            )
        )
        print(f"{capability}: {figures}", file=sys.stderr)
    return out


def _jobs(backend: str, size: int) -> list[dict]:
    out, label = [], harness.size_label(size)
    with scratch(backend) as url:
        started = time.perf_counter()
        load(url, size, points=100, expired=True)
        print(
            f"{backend} {label}: loaded lots in {time.perf_counter() - started:.1f}s",
            file=sys.stderr,
        )
        figures, rss = _job("expire", url)
        assert figures["lots"] == size, figures
        cap = f"loyalty nightly expiry {backend}"
        out.append(
            harness.record(
                cap,
                label,
                "seconds",
                round(figures["seconds"], 2),
                "s",
                better="lower",
                notes=f"{size:,} due lots",
            )
        )
        out.append(harness.record(cap, label, "peak memory", round(rss), "MiB", better="lower"))
        print(f"{cap} {label}: {figures} rss={rss:.0f}MiB", file=sys.stderr)
    with scratch(backend) as url:
        load(url, size, orders=2)
        figures, rss = _job("stages", url)
        cap = f"loyalty stage evaluation {backend}"
        note = f"{size:,} members, {2 * size:,} orders; first run (everyone joins)"
        out.append(
            harness.record(
                cap, label, "seconds", round(figures["seconds"], 2), "s", better="lower", notes=note
            )
        )
        out.append(
            harness.record(
                cap,
                label,
                "seconds (re-run)",
                round(figures["again_seconds"], 2),
                "s",
                better="lower",
            )
        )
        out.append(harness.record(cap, label, "peak memory", round(rss), "MiB", better="lower"))
        print(f"{cap} {label}: {figures} rss={rss:.0f}MiB", file=sys.stderr)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100k")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--ops", type=int, default=300, help="ops per thread")
    parser.add_argument("--no-throughput", action="store_true")
    parser.add_argument("--worker", choices=["expire", "stages"])
    parser.add_argument("--url")
    args = parser.parse_args(argv)
    if args.worker:
        worker(args.worker, args.url)
        return
    run(
        harness.parse_sizes(args.sizes),
        backends=tuple(args.backends.split(",")),
        ops_per_thread=args.ops,
        with_throughput=not args.no_throughput,
    )
    harness.refresh_summary()


if __name__ == "__main__":
    main()
