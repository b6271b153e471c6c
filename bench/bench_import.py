"""CSV import of the real Online Retail file (541,909 invoice lines) into SQLite and PostgreSQL:
kizuna's importer against ``pandas.read_csv`` + ``DataFrame.to_sql`` of the same file into the
same kind of database, measured in one run.

Every import runs in its own worker process (``--worker``) against a fresh database, so that memory
is measured per tool and no cache is shared; the schema (Alembic) is created before the clock
starts. The re-import runs in another fresh process against the loaded database: for kizuna it
finds every order unchanged, for pandas it is ``if_exists="replace"`` (what a pandas user does to
load the file again). Rows/s counts the file's data rows for both tools; kizuna also validates
them (1,338 are rejected with a reason), groups lines into orders and returns, links customers
and products, and writes indexed tables, where pandas writes one flat table without indexes.

    .venv/bin/python -m bench.bench_import [--repeat 3] [--backends sqlite,postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench import harness

DATA = harness.ROOT.parent / "shared" / "data" / "online_retail" / "online_retail.csv.gz"
FILE_ROWS = 541_909
SIZE = "541,909 rows"
PG_ADMIN = os.environ.get("KIZUNA_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
CAPABILITY = {"sqlite": "CSV import → SQLite", "postgres": "CSV import → PostgreSQL"}
TARGET_ROWS_S = {"sqlite": 100_000.0}
TARGET_RATIO = 3.0
# pandas ways of writing the frame: (name, backend, description, runs only once: too slow to repeat)
VARIANTS = (
    ("sqlite3", "sqlite", "to_sql(sqlite3 connection), method=None", False),
    (
        "sqlite3-multi",
        "sqlite",
        "to_sql(sqlite3 connection), method='multi', chunksize=4000",
        False,
    ),
    ("engine", "sqlite", "to_sql(SQLAlchemy engine), method=None", False),
    ("engine", "postgres", "to_sql(SQLAlchemy+psycopg engine), method=None", False),
    (
        "copy",
        "postgres",
        "to_sql(SQLAlchemy+psycopg engine), method=COPY callable (pandas docs)",
        False,
    ),
    (
        "engine-multi",
        "postgres",
        "to_sql(SQLAlchemy+psycopg engine), method='multi', chunksize=2000",
        True,
    ),
)
DEFAULT_VARIANT = "engine"  # what the pandas docs and most tutorials show: an engine, method=None


# ---- workers: one import in a fresh process, figures printed as one JSON line -----------------


def _kizuna_worker(url: str, phase: str) -> dict[str, Any]:
    from kizuna.ingest.csv_import import import_file
    from kizuna.kit.db import session_scope
    from kizuna.kit.store import open_store

    sessions = open_store(url)
    start, cpu = time.perf_counter(), time.process_time()
    with session_scope(sessions) as session:
        report = import_file(session, "orders", DATA, "online-retail")
    seconds = time.perf_counter() - start
    return {
        "cpu_seconds": time.process_time() - cpu,
        "seconds": seconds,
        "rows": report.rows,
        "rejected": report.rejected,
        "records": report.to_dict()["records"],
    }


def _copy_method(table: Any, conn: Any, keys: list[str], data_iter: Any) -> None:
    """The pandas docs' ``psql_insert_copy``, written for psycopg 3."""
    columns = ", ".join(f'"{key}"' for key in keys)
    name = f'"{table.schema}"."{table.name}"' if table.schema else f'"{table.name}"'
    with (
        conn.connection.cursor() as cursor,
        cursor.copy(f"COPY {name} ({columns}) FROM STDIN") as copy,
    ):
        for row in data_iter:
            copy.write_row(row)


def _pandas_worker(url: str, phase: str, variant: str) -> dict[str, Any]:
    import sqlite3

    import pandas as pd
    import sqlalchemy as sa

    options: dict[str, Any] = {
        "index": False,
        "if_exists": "replace" if phase == "again" else "fail",
    }
    if variant.endswith("multi"):
        options.update(method="multi", chunksize=4000 if url.startswith("sqlite") else 2000)
    elif variant == "copy":
        options.update(method=_copy_method)
    start, cpu = time.perf_counter(), time.process_time()
    frame = pd.read_csv(DATA)
    if variant.startswith("sqlite3"):
        connection = sqlite3.connect(url.removeprefix("sqlite:///"))
        frame.to_sql("online_retail", connection, **options)
        connection.commit()
        connection.close()
    else:
        engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
        frame.to_sql("online_retail", engine, **options)
        engine.dispose()
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "cpu_seconds": time.process_time() - cpu, "rows": len(frame)}


def _worker_main(args: argparse.Namespace) -> None:
    if args.worker == "kizuna":
        out = _kizuna_worker(args.url, args.phase)
    else:
        out = _pandas_worker(args.url, args.phase, args.variant)
    out["peak_rss_mb"] = harness.peak_rss_mb()
    print(json.dumps(out))


# ---- the driver --------------------------------------------------------------------------------


class Databases:
    """Fresh scratch databases (SQLite files in a temp folder or PostgreSQL), dropped after."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="kizuna-bench-"))
        self.pg_names: list[str] = []

    def fresh(self, backend: str) -> str:
        name = f"kizuna_bench_{uuid.uuid4().hex[:10]}"
        if backend == "sqlite":
            return f"sqlite:///{self.folder / (name + '.db')}"
        _pg_admin(f'CREATE DATABASE "{name}"')
        self.pg_names.append(name)
        return f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"

    def drop(self, url: str) -> None:
        if url.startswith("sqlite:///"):
            for suffix in ("", "-wal", "-shm"):
                Path(url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
        else:
            name = url.rsplit("/", 1)[1]
            _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            self.pg_names.remove(name)

    def close(self) -> None:
        for name in list(self.pg_names):
            _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        shutil.rmtree(self.folder, ignore_errors=True)


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as connection:
        connection.execute(sql)


def postgres_available() -> bool:
    """Whether the benchmark PostgreSQL server answers."""
    try:
        _pg_admin("SELECT 1")
    except Exception:
        return False
    return True


def _spawn(tool: str, url: str, phase: str, variant: str = "") -> dict[str, Any]:
    argv = [
        sys.executable,
        "-m",
        "bench.bench_import",
        "--worker",
        tool,
        "--url",
        url,
        "--phase",
        phase,
        "--variant",
        variant,
    ]
    run = harness.run_command(argv, timeout=600)
    lines = run.json_lines()
    if run.returncode != 0 or not lines:
        raise RuntimeError(
            f"{tool} {variant} {phase} failed ({run.returncode}):\n{run.stderr[-3000:]}"
        )
    return lines[-1]


def _one_round(dbs: Databases, backend: str, first_round: bool) -> dict[str, dict[str, Any]]:
    """One import + re-import by kizuna and by each pandas variant, each into a fresh database."""
    out: dict[str, dict[str, Any]] = {}
    tools: list[tuple[str, str, bool]] = [("kizuna", "", False)] + [
        ("pandas", name, slow) for name, back, _d, slow in VARIANTS if back == backend
    ]
    for tool, variant, slow in tools:
        if slow and not first_round:
            continue
        url = dbs.fresh(backend)
        try:
            first = _spawn(tool, url, "first", variant)
            if not slow:
                first["again_seconds"] = _spawn(tool, url, "again", variant)["seconds"]
        finally:
            dbs.drop(url)
        out[variant or "kizuna"] = first
        again = first.get("again_seconds", float("nan"))
        speed = FILE_ROWS / first["seconds"]
        _log(f"  {backend:8s} {tool:6s} {variant:13s} {speed:>10,.0f} rows/s "
             f"(cpu {first['cpu_seconds']:5.2f} s)  re-import {again:6.2f} s  "
             f"peak {first['peak_rss_mb']:6.0f} MiB")  # fmt: skip
    return out


def _best(rounds: list[dict[str, dict[str, Any]]], key: str) -> dict[str, Any]:
    runs = [r[key] for r in rounds if key in r]
    best = min(runs, key=lambda r: r["seconds"])
    again = [r["again_seconds"] for r in runs if "again_seconds" in r]
    return {
        **best,
        "runs": [r["seconds"] for r in runs],
        "again_seconds": min(again) if again else None,
        "peak_rss_mb": min(r["peak_rss_mb"] for r in runs),
    }


def measure(backend: str, repeat: int) -> list[dict[str, Any]]:
    """Run the rounds for one backend and record its measurements."""
    dbs = Databases()
    try:
        rounds = [_one_round(dbs, backend, first_round=(n == 0)) for n in range(repeat)]
    finally:
        dbs.close()
    kizuna = _best(rounds, "kizuna")
    variants = {name: _best(rounds, name) for name, back, _d, _s in VARIANTS if back == backend}
    return _record(backend, kizuna, variants, repeat)


def _record(
    backend: str, kizuna: dict[str, Any], variants: dict[str, dict[str, Any]], repeat: int
) -> list[dict[str, Any]]:
    label = {name: f"pandas {desc}" for name, back, desc, _s in VARIANTS if back == backend}
    best = min(variants, key=lambda name: variants[name]["seconds"])
    speed = FILE_ROWS / kizuna["seconds"]
    capability = CAPABILITY[backend]
    command = f"python -m bench.bench_import --repeat {repeat} --backends {backend}"
    extra = {
        "kizuna": kizuna,
        "pandas": {label[n]: v for n, v in variants.items()},
        "repeat": repeat,
        "file": str(DATA),
    }
    common: dict[str, Any] = {"command": command}
    out = [
        harness.record(
            capability,
            SIZE,
            "rows/s",
            speed,
            "rows/s",
            baseline=label[best] + " (fastest)",
            baseline_value=FILE_ROWS / variants[best]["seconds"],
            target=TARGET_ROWS_S.get(backend),
            target_ratio=TARGET_RATIO,
            extra=extra,
            notes=f"best of {repeat}; kizuna validates, groups and indexes; "
            "pandas writes one flat table",
            **common,
        ),
        harness.record(
            capability,
            SIZE,
            "rows/s vs pandas default",
            speed,
            "rows/s",
            baseline=label[DEFAULT_VARIANT],
            baseline_value=FILE_ROWS / variants[DEFAULT_VARIANT]["seconds"],
            target_ratio=TARGET_RATIO,
            **common,
        ),
        harness.record(
            capability,
            SIZE,
            "re-import, all unchanged",
            kizuna["again_seconds"],
            "s",
            baseline=label[best] + ", if_exists='replace'",
            baseline_value=variants[best]["again_seconds"],
            better="lower",
            **common,
        ),
        harness.record(
            capability,
            SIZE,
            "peak memory",
            kizuna["peak_rss_mb"],
            "MiB",
            baseline=label[best],
            baseline_value=variants[best]["peak_rss_mb"],
            better="lower",
            notes="peak RSS of the worker process",
            **common,
        ),
    ]
    return out


def _log(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def run(
    sizes: list[int] | None = None,
    repeat: int = 3,
    backends: tuple[str, ...] = ("sqlite", "postgres"),
) -> list[dict[str, Any]]:
    """Measure both backends; ``sizes`` is ignored (the real file has one size)."""
    if not DATA.exists():
        _log(f"bench_import: skipped, {DATA} is missing (../shared/data beside the checkout)")
        return []
    results: list[dict[str, Any]] = []
    for backend in backends:
        if backend == "postgres" and not postgres_available():
            _log(f"bench_import: PostgreSQL skipped, {PG_ADMIN} does not answer")
            continue
        _log(f"bench_import: {backend}, best of {repeat}")
        results += measure(backend, repeat)
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the best is kept")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--worker", choices=("kizuna", "pandas"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--phase", default="first", help=argparse.SUPPRESS)
    parser.add_argument("--variant", default="", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        _worker_main(args)
        return
    results = run(repeat=args.repeat, backends=tuple(args.backends.split(",")))
    harness.refresh_summary()
    for item in results:
        _log(
            f"{item['capability']:26s} {item['metric']:26s} {harness.fmt(item['value']):>10s} "
            f"{item['unit']:6s} ratio ×{harness.fmt(item['ratio'])}"
        )


if __name__ == "__main__":
    main()
