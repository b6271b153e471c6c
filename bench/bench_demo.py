"""Demo shop generation + load (``run_demo``) into a fresh SQLite file: seconds and peak memory.

There is no baseline tool (``baseline`` is null): the point is that ``kizuna demo`` stays fast
(50k customers well under a minute on two cores) and flat in memory at 1M customers. The schema
is created before the clock starts; the clock covers generating every record and storing it
through the domain bulk services, one transaction per 10k people.

    .venv/bin/python bench/bench_demo.py --customers 50000 [--db new.db]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shlex
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from kizuna.demo import run_demo
from kizuna.kit.store import open_store

RESULTS = Path(__file__).resolve().parent / "results"


def main(argv: list[str] | None = None) -> dict:
    """Run the benchmark, print its JSON and write it to ``bench/results/demo-<size>.json``."""
    args = _parse(argv)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(args.db) if args.db else Path(tmp) / "demo.db"
        if db.exists():
            raise SystemExit(f"{db} exists: the benchmark loads into a fresh database")
        sessions = open_store(f"sqlite:///{db}")
        started = time.perf_counter()
        report = run_demo(sessions, customers=args.customers, seed=args.seed)
        seconds = time.perf_counter() - started
        size_mb = sum(p.stat().st_size for p in db.parent.glob(db.name + "*")) / 2**20
    result = {
        "capability": "demo shop generate + load → SQLite",
        "size": f"{args.customers:,} customers",
        "metric": "seconds",
        "value": round(seconds, 2),
        "unit": "s",
        "baseline": None,
        "baseline_value": None,
        "ratio": None,
        "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "database_mb": round(size_mb, 1),
        "records": {
            name: counts.inserted + counts.updated + counts.unchanged
            for name, counts in report.records.items()
        },
        "phases_s": {name: round(value, 2) for name, value in report.seconds.items()},
        "machine": f"{platform.machine()}, {platform.python_implementation()} "
        f"{platform.python_version()}, {_cpus()} CPUs",
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": shlex.join([sys.executable, *sys.argv]),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"demo-{args.customers}.json"
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return result


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=50_000, help="people in the shop")
    parser.add_argument("--seed", type=int, default=20261124)
    parser.add_argument("--db", help="SQLite file to create (default: a temporary file)")
    return parser.parse_args(argv)


def _cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


if __name__ == "__main__":
    main()
