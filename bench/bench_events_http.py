"""Event ingest over HTTP on loopback: ``POST /api/events`` in batches against ``kizuna serve``
started as a subprocess on a fresh SQLite record. Target (issue 2): 10,000 events/s.

The client sends pre-encoded JSON bodies over keep-alive connections (one per client thread), so
the figure is the server's: parsing, validation, API-key check, customer stubs and the insert.
Every event is sent once (inserted), then the same batches again (all unchanged: idempotency by
``event_id``). There is no third-party baseline: the figure is held against the target.

    .venv/bin/python -m bench.bench_events_http [--events 100000] [--batch 1000] [--clients 1]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import harness

CAPABILITY = "event ingest over HTTP"
TARGET_EVENTS_S = 10_000.0
TYPES = (
    "page_view",
    "product_view",
    "search",
    "cart_add",
    "cart_remove",
    "checkout_start",
    "login",
)


def make_batches(
    events: int, batch: int, customers: int, known_share: float = 0.7, seed: int = 7
) -> list[bytes]:
    """Deterministic request bodies: ``events`` events in batches of ``batch``, encoded once;
    ``known_share`` of them name a customer id, the rest only an anonymous id."""
    rng = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    bodies = []
    for first in range(0, events, batch):
        items = []
        for n in range(first, min(first + batch, events)):
            known = rng.random() < known_share
            sku = f"SKU-{rng.randrange(300):04d}"
            items.append({
                "event_id": f"bench-{seed}-{n}", "type": rng.choice(TYPES),
                "occurred_at": (start + timedelta(seconds=n * 7)).isoformat(),
                "customer_id": f"bench-c{rng.randrange(customers)}" if known else None,
                "anonymous_id": None if known else f"anon-{rng.randrange(customers * 3)}",
                "sku": sku, "properties": {"path": f"/products/{sku}"},
            })  # fmt: skip
        bodies.append(json.dumps({"events": items}, separators=(",", ":")).encode())
    return bodies


class Server:
    """``kizuna serve`` on a free loopback port over a fresh SQLite file, with an API key."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="kizuna-bench-http-"))
        self.url = f"sqlite:///{self.folder / 'events.db'}"
        self.port = _free_port()
        self.env = {**os.environ, "KIZUNA_DATABASE_URL": self.url, "KIZUNA_ENVIRONMENT": "test"}
        self.proc: subprocess.Popen[bytes] | None = None
        self.key = ""
        self.log: Any = None

    def start(self, timeout: float = 90) -> None:
        self.key = _create_key(self.url)
        self.log = (self.folder / "server.log").open("wb")
        self.proc = subprocess.Popen(
            [*_kizuna_command(), "serve", "--port", str(self.port)], env=self.env,
            stdout=self.log, stderr=subprocess.STDOUT, cwd=harness.ROOT,
        )  # fmt: skip
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"kizuna serve exited {self.proc.returncode}:\n{self.output()}")
            if _answers(self.port):
                return
            time.sleep(0.2)
        raise RuntimeError(f"kizuna serve did not answer on port {self.port} in {timeout:.0f} s")

    def output(self) -> str:
        """The end of the server's log (for error messages)."""
        path = self.folder / "server.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def stop(self) -> float:
        """Stop the server; returns its peak RSS in MiB."""
        peak = 0.0
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGINT)
            timer = threading.Timer(20, self.proc.kill)
            timer.start()
            _pid, _status, usage = os.wait4(self.proc.pid, 0)
            timer.cancel()
            self.proc.returncode = 0
            peak = usage.ru_maxrss / 1024
        if self.log is not None:
            self.log.close()
        shutil.rmtree(self.folder, ignore_errors=True)
        return peak


def _kizuna_command() -> list[str]:
    script = Path(sys.executable).with_name("kizuna")
    return [str(script)] if script.exists() else [sys.executable, "-m", "kizuna"]


def _create_key(url: str) -> str:
    """A fresh API key with the ``events:write`` scope (the schema is created on the way)."""
    try:
        from kizuna.accounts.service import do_create_api_key
    except ImportError as exc:
        raise RuntimeError(
            f"the API keys service is not there yet (pending the API): {exc}"
        ) from None
    from kizuna.kit.db import session_scope
    from kizuna.kit.store import engine_for, open_store

    with session_scope(open_store(url)) as session:
        _key, secret = do_create_api_key(session, "bench", ["events:write"])
    engine_for(url).dispose()
    return secret


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(port: int) -> bool:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        connection.request("GET", "/openapi.json")
        ok = connection.getresponse().status == 200
        connection.close()
        return ok
    except OSError:
        return False


@dataclass
class Sent:
    """One pass over the batches: wall seconds, per-request latencies, the server's counts."""

    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)


def send(port: int, key: str, bodies: list[bytes], clients: int) -> Sent:
    """POST every body, split over ``clients`` keep-alive connections."""
    sent, lock = Sent(), threading.Lock()

    def client(share: list[bytes]) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        try:
            for body in share:
                start = time.perf_counter()
                connection.request("POST", "/api/events", body=body, headers=headers)
                response = connection.getresponse()
                payload = response.read()
                with lock:
                    sent.latencies.append(time.perf_counter() - start)
                    _count(sent, response.status, payload)
        except (OSError, http.client.HTTPException) as exc:
            with lock:
                sent.errors.append(f"connection failed: {exc!r}")
        finally:
            connection.close()

    threads = [threading.Thread(target=client, args=(bodies[n::clients],)) for n in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sent.seconds = time.perf_counter() - start
    if sent.errors:
        raise RuntimeError(f"{len(sent.errors)} batch(es) failed, first: {sent.errors[0]}")
    return sent


def _count(sent: Sent, status: int, payload: bytes) -> None:
    if status != 200:
        sent.errors.append(f"HTTP {status}: {payload[:300]!r}")
        return
    try:
        counts = json.loads(payload)
    except ValueError:
        return
    if isinstance(counts, dict):
        sent.counts.update({k: v for k, v in counts.items() if isinstance(v, int)})


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) >= 2 else values[0]


def _extra(sent: Sent) -> dict[str, Any]:
    return {"seconds": sent.seconds, "server_counts": dict(sent.counts),
            "median_batch_ms": statistics.median(sent.latencies) * 1000}  # fmt: skip


def measure(
    events: int, batch: int, clients: int, customers: int, known_share: float = 0.7
) -> list[dict[str, Any]]:
    """Start a server, send the events twice, record events/s and batch latency."""
    bodies = make_batches(events, batch, customers, known_share)
    server = Server()
    try:
        server.start()
        first = send(server.port, server.key, bodies, clients)
        again = send(server.port, server.key, bodies, clients)
    except RuntimeError as exc:
        raise RuntimeError(f"{exc}\n-- server log --\n{server.output()}") from None
    finally:
        peak = server.stop()
    size = f"{events:,} events, {known_share:.0%} from customers"
    setup = (f"batches of {batch:,}, {clients} client(s), {known_share:.0%} of events from "
             f"{customers:,} customers, SQLite")  # fmt: skip
    command = (
        f"python -m bench.bench_events_http --events {events} --batch {batch} "
        f"--clients {clients} --customers {customers} --known-share {known_share}"
    )
    common: dict[str, Any] = {"command": command, "notes": setup}
    return [
        harness.record(CAPABILITY, size, "events/s (new)", events / first.seconds, "events/s",
                       target=TARGET_EVENTS_S, extra=_extra(first), **common),
        harness.record(CAPABILITY, size, "events/s (re-sent, unchanged)", events / again.seconds,
                       "events/s", extra=_extra(again), **common),
        harness.record(CAPABILITY, size, "p95 batch latency", _p95(first.latencies) * 1000, "ms",
                       better="lower", **common),
        harness.record(CAPABILITY, size, "server peak memory", peak, "MiB", better="lower",
                       **common),
    ]  # fmt: skip


def run(sizes: list[int] | None = None) -> list[dict[str, Any]]:
    """One measurement with the defaults; customer ids drawn from the smallest size."""
    return measure(100_000, 1_000, 1, min(sizes) if sizes else 10_000)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument(
        "--batch", type=int, default=1_000, help="events per request (API max 5000)"
    )
    parser.add_argument("--clients", type=int, default=1, help="concurrent keep-alive connections")
    parser.add_argument("--customers", type=int, default=10_000, help="distinct customer ids")
    parser.add_argument("--known-share", type=float, default=0.7, help="events with a customer id")
    args = parser.parse_args(argv)
    for item in measure(args.events, args.batch, args.clients, args.customers, args.known_share):
        print(f"{item['metric']:32s} {harness.fmt(item['value']):>10s} {item['unit']}")
    harness.refresh_summary()


if __name__ == "__main__":
    main()
