"""Earn/redeem over HTTP on loopback: 16 concurrent keep-alive clients against ``kizuna serve``
(uvicorn, one process) on SQLite and on PostgreSQL. Target (issue 4, PostgreSQL): ≥ 1,000
ops/s and p99 ≤ 50 ms.

Each client alternates ``POST /api/loyalty/earn`` (a grant of 10 points) and ``POST
/api/loyalty/redemptions`` (5 points) for a random member out of ``--members`` pre-funded ones,
each with its own Idempotency-Key, for ``--seconds``. Afterwards the ledger is checked: every
invariant of ``verify_ledger`` holds and the points moved equal what the clients were told
(to the point). There is no third-party baseline; the figures are held against the target.
The clients share this process (and its GIL) with each other, and the machine with the server,
so on a small machine the figure is a lower bound for the server.

    .venv/bin/python -m bench.bench_loyalty_http --members 2000 --seconds 10
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from bench import harness
from bench.bench_events_http import _answers, _free_port, _kizuna_command
from bench.bench_loyalty import load, scratch
from kizuna.accounts.service import do_create_api_key
from kizuna.kit.db import make_engine, make_sessionmaker, session_scope
from kizuna.loyalty.ledger.balance import verify_ledger
from kizuna.loyalty.ledger.models import PointEntry

CAPABILITY = "loyalty earn/redeem over HTTP"
CLIENTS = 16
FUNDED = 100_000  # points each member starts with: redemptions never run short
TARGET_OPS_S, TARGET_P99_MS = 1_000.0, 50.0


@dataclass
class Tally:
    """What the clients saw: latencies (s), HTTP statuses, points earned and redeemed."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    earned: int = 0
    redeemed: int = 0
    errors: list[str] = field(default_factory=list)


def _serve(url: str, workers: int = 1) -> tuple[subprocess.Popen[bytes], int]:
    """``kizuna serve`` (one process), or uvicorn with ``workers`` processes over the same app."""
    port = _free_port()
    env = {**os.environ, "KIZUNA_DATABASE_URL": url, "KIZUNA_ENVIRONMENT": "test"}
    command = [*_kizuna_command(), "serve", "--port", str(port)]
    if workers > 1:
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "kizuna.web.app:create_app",
            "--factory",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            cwd=harness.ROOT)  # fmt: skip
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"kizuna serve exited: {proc.stderr.read().decode()[-2000:]}")  # type: ignore[union-attr]
        if _answers(port):
            return proc, port
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError("kizuna serve did not answer within 90 s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def drive(port: int, key: str, members: int, seconds: float, tag: str) -> tuple[Tally, float]:
    """``CLIENTS`` threads alternating earn and redeem until ``seconds`` pass; the tally and
    the wall time."""
    tally, lock = Tally(), threading.Lock()
    gate = threading.Barrier(CLIENTS + 1)
    stop_at = [0.0]

    def client(n: int) -> None:
        rng, mine = random.Random(n), Tally()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        gate.wait()
        k = 0
        while time.perf_counter() < stop_at[0]:
            member, redeem = f"B{rng.randint(1, members)}", k % 2 == 1
            path = "/api/loyalty/redemptions" if redeem else "/api/loyalty/earn"
            body = {"customer_id": member, "points": 5 if redeem else 10}
            if not redeem:
                body["reason"] = "bench"
            headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json",
                       "Idempotency-Key": f"{tag}-{n}-{k}"}  # fmt: skip
            start = time.perf_counter()
            try:
                conn.request("POST", path, body=json.dumps(body), headers=headers)
                response = conn.getresponse()
                payload = response.read()
            except (OSError, http.client.HTTPException) as exc:
                mine.errors.append(repr(exc))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
                continue
            mine.latencies.append(time.perf_counter() - start)
            mine.statuses[response.status] += 1
            if response.status == 200:
                points = json.loads(payload)["points"]
                mine.earned += points if points > 0 else 0
                mine.redeemed += -points if points < 0 else 0
            elif len(mine.errors) < 5:
                mine.errors.append(f"HTTP {response.status}: {payload[:200]!r}")
            k += 1
        conn.close()
        with lock:
            tally.latencies += mine.latencies
            tally.statuses.update(mine.statuses)
            tally.earned, tally.redeemed = (
                tally.earned + mine.earned,
                tally.redeemed + mine.redeemed,
            )
            tally.errors += mine.errors

    threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.perf_counter() + seconds
    began = time.perf_counter()
    gate.wait()
    for thread in threads:
        thread.join()
    return tally, time.perf_counter() - began


def _reconcile(url: str, tally: Tally) -> dict[str, Any]:
    """The ledger's own view of the run, and whether it matches the clients' tally."""
    engine = make_engine(url)
    with session_scope(make_sessionmaker(engine)) as session:
        problems = verify_ledger(session)
        moved = dict(session.execute(
            select(PointEntry.kind, func.sum(PointEntry.points))
            .where(PointEntry.idempotency_key.like("api:%")).group_by(PointEntry.kind)
        ).all())  # fmt: skip
    engine.dispose()
    earned, redeemed = int(moved.get("earn") or 0), -int(moved.get("redeem") or 0)
    return {
        "ledger_problems": len(problems),
        "ledger_earned": earned,
        "ledger_redeemed": redeemed,
        "reconciles": not problems and (earned, redeemed) == (tally.earned, tally.redeemed),
    }


def measure(backend: str, members: int, seconds: float, workers: int = 1) -> list[dict[str, Any]]:
    """Load ``members`` funded members, serve, drive for ``seconds``, reconcile, record."""
    with scratch(backend) as url:
        load(url, members, points=FUNDED)
        engine = make_engine(url)
        with session_scope(make_sessionmaker(engine)) as session:
            _key, secret = do_create_api_key(session, "bench", ["loyalty:write"])
        engine.dispose()
        proc, port = _serve(url, workers)
        try:
            tally, wall = drive(port, secret, members, seconds, backend)
        finally:
            _stop(proc)
        check = _reconcile(url, tally)
    if not tally.latencies:
        raise RuntimeError(f"no request succeeded: {tally.errors[:3]}")
    ordered = sorted(tally.latencies)
    p99 = ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000
    extra = {"requests": len(ordered), "statuses": dict(tally.statuses), "wall_s": wall,
             "errors": tally.errors[:5], **check}  # fmt: skip
    size = f"{harness.size_label(members)} members, {backend}"
    if workers > 1:
        size += f", {workers} workers"
    common: dict[str, Any] = {
        "command": f"python -m bench.bench_loyalty_http --members {members} --seconds {seconds:g}"
        f" --backends {backend} --workers {workers}",
        "notes": f"{CLIENTS} keep-alive clients, alternating earn 10 / redeem 5 points; {workers} "
        "uvicorn process(es); clients and server share the machine",
        "extra": extra,
    }
    ok = tally.statuses.get(200, 0)
    return [
        harness.record(CAPABILITY, size, "ops/s", ok / wall, "ops/s", target=TARGET_OPS_S,
                       **common),
        harness.record(CAPABILITY, size, "p50 latency", statistics.median(ordered) * 1000, "ms",
                       better="lower", **common),
        harness.record(CAPABILITY, size, "p99 latency", p99, "ms", better="lower",
                       target=TARGET_P99_MS, **common),
    ]  # fmt: skip


def run(sizes: list[int] | None = None) -> list[dict[str, Any]]:
    """The default small run on both backends (``bench.run`` entry point)."""
    members = min(sizes) if sizes else 2_000
    return [m for backend in ("sqlite", "postgresql") for m in measure(backend, members, 10)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=2_000)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    args = parser.parse_args(argv)
    for backend in args.backends.split(","):
        for item in measure(backend.strip(), args.members, args.seconds, args.workers):
            extra = item["extra"]
            print(f"{backend:10s} {item['metric']:12s} {harness.fmt(item['value']):>10s} "
                  f"{item['unit']}  (requests {extra['requests']:,}, statuses "
                  f"{extra['statuses']}, reconciles {extra['reconciles']})")  # fmt: skip
    harness.refresh_summary()


if __name__ == "__main__":
    main()
