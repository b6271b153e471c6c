"""Dashboard latency on loopback: the overview, customer search and the customer page, served by
``kizuna serve`` (a subprocess) over a demo shop. Target (issue 2): p95 ≤ 300 ms at 1M customers.

The record is an existing database (``--database-url``, e.g. a 1M-customer demo made with
``kizuna demo --customers 1000000 --no-serve``) or a demo generated here (``--customers N``).
A logged-in client requests each page ``--requests`` times in a fixed random order: the overview
(the first, uncached request is reported on its own), searches by family name, kana, email and
phone of real customers, and customer pages of random customers. There is no third-party
baseline: figures are held against the target.

    .venv/bin/python -m bench.bench_dashboard --database-url sqlite:////tmp/demo1m.db
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from bench import harness

CAPABILITY = "dashboard latency"
TARGET_MS = 300.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _demo(customers: int) -> str:
    folder = Path(tempfile.mkdtemp(prefix="kizuna-bench-dash-"))
    url = f"sqlite:///{folder / 'demo.db'}"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "kizuna",
            "demo",
            "--customers",
            str(customers),
            "--no-serve",
            "--json",
        ],
        check=True,
        env={**os.environ, "KIZUNA_DATABASE_URL": url},
        stdout=subprocess.DEVNULL,
    )
    return url


def _samples(url: str, count: int, seed: int) -> dict[str, list[str]]:
    """Real search terms and customer ids drawn from the record."""
    engine = create_engine(url)
    rng = random.Random(seed)
    with engine.connect() as conn:
        top = conn.execute(text("SELECT max(id) FROM customers")).scalar() or 1
        ids = [str(rng.randrange(1, top + 1)) for _ in range(count)]
        picks = ",".join(ids)
        rows = conn.execute(
            text(
                f"SELECT c.family_name, c.family_kana, i.kind, i.value FROM customers c "
                f"JOIN identities i ON i.customer_id = c.id WHERE c.id IN ({picks}) "
                "AND c.family_name IS NOT NULL"
            )
        ).all()
    engine.dispose()
    terms = []
    for family, kana, kind, value in rows:
        terms += [family, kana] if kind == "email" else []
        terms += [value] if kind in ("email", "phone") else []
    rng.shuffle(terms)
    return {"customer_ids": ids, "terms": terms[:count]}


def _timed(client: httpx.Client, path: str, params: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    response = client.get(path, params=params)
    elapsed = (time.perf_counter() - start) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} {params}: {response.status_code} {response.text[:200]}")
    return elapsed


def _stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))]  # noqa: E731
    return {
        "p50": statistics.median(ordered),
        "p95": pick(0.95),
        "p99": pick(0.99),
        "max": ordered[-1],
        "n": len(ordered),
    }


def measure(url: str, requests: int, seed: int = 11) -> dict[str, Any]:
    """Start the server over ``url`` and time each page; returns stats in milliseconds."""
    samples = _samples(url, requests, seed)
    port = _free_port()
    env = {**os.environ, "KIZUNA_DATABASE_URL": url, "KIZUNA_ENVIRONMENT": "test"}
    server = subprocess.Popen(
        [sys.executable, "-m", "kizuna", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=base, timeout=120) as client:
            for _ in range(300):
                try:
                    client.get("/login")
                    break
                except httpx.TransportError:
                    time.sleep(0.2)
            client.post("/login", data={"email": "admin@example.jp", "password": "kizuna-admin"})
            first_overview = _timed(client, "/")
            overview = [_timed(client, "/") for _ in range(requests)]
            search = [_timed(client, "/customers", {"q": term}) for term in samples["terms"]]
            pages = [_timed(client, f"/customers/{cid}") for cid in samples["customer_ids"]]
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "overview_first": first_overview,
        "overview": _stats(overview),
        "search": _stats(search),
        "customer_page": _stats(pages),
    }


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an existing record (else a demo is generated)")
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args(argv)
    url = args.database_url or _demo(args.customers)
    engine = create_engine(url)
    with engine.connect() as conn:
        size = conn.execute(text("SELECT count(*) FROM customers")).scalar() or 0
        orders = conn.execute(text("SELECT count(*) FROM orders")).scalar() or 0
    engine.dispose()
    figures = measure(url, args.requests)
    label = f"{size:,} customers / {orders:,} orders"
    results = [
        harness.record(
            CAPABILITY,
            label,
            "overview first request",
            figures["overview_first"],
            "ms",
            better="lower",
            target=TARGET_MS,
        )
    ]
    for page in ("overview", "search", "customer_page"):
        stats = figures[page]
        results.append(
            harness.record(
                CAPABILITY,
                label,
                f"{page} p95",
                stats["p95"],
                "ms",
                better="lower",
                target=TARGET_MS,
                extra=stats,
            )
        )
    for r in results:
        print(f"{r['metric']:>28}: {r['value']:8.1f} ms  (target ≤ {TARGET_MS:.0f} ms)")
    return results


if __name__ == "__main__":
    main()
