"""Analytics: full recompute (summary + RFM + ranks + snapshot) and a 5-predicate segment count,
against a straightforward pandas implementation, in one run.

    .venv/bin/python -m bench.bench_analytics --customers 100000
    .venv/bin/python -m bench.bench_analytics --customers 1000000 --source-db /tmp/demo1m.db \\
        --orders 10000000 [--engines duckdb,postgres,duckdb-pg,spark]

The shop is the demo generator's (``kizuna.demo.run_demo``), cached under the system temp
folder per size; ``--source-db`` reuses a demo file already generated (copied, never changed).
``--orders N`` tops the orders up to N by copying existing orders a few weeks back (new numbers),
to reach the issue's 10M orders at 1M customers. Each measurement runs in a fresh interpreter
(``--worker``), so its peak memory is its own:

* kizuna: ``take_snapshot`` on the engine: summary, RFM, ranks, diff against yesterday's
  snapshot, write the changes (a snapshot of the day before is taken first, untimed, so this is
  the nightly job's steady state; the first-ever snapshot is reported too);
* pandas: ``read_sql_query`` of the same record tables, the same definitions with groupbys, the
  ranks written back with ``to_sql``; its rank counts must equal kizuna's (checked);
* segment: a 5-predicate count on the materialised segment base (live count while editing).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from bench import harness

AS_OF = date(2026, 11, 24)
SCRATCH = Path(tempfile.gettempdir()) / "kizuna_bench_analytics"
PG_ADMIN = os.environ.get("KIZUNA_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
SEGMENT = {
    "name": "bench: lapsing loyal women 30-49 reachable by email",
    "where": {"type": "all", "of": [
        {"type": "rank", "ranks": ["loyal", "best", "repeat"]},
        {"type": "field", "field": "recency_days", "min": 30},
        {"type": "age_band", "bands": ["30s", "40s"]},
        {"type": "gender", "values": ["female"]},
        {"type": "consent", "channel": "email"},
    ]},
}  # fmt: skip


# ---------------------------------------------------------------- the shop
def prepare(customers: int, source: str | None, orders: int | None) -> Path:
    """A SQLite demo shop of ``customers`` (cached), topped up to ``orders`` orders."""
    SCRATCH.mkdir(parents=True, exist_ok=True)
    path = SCRATCH / f"demo-{customers}-{orders or 0}.db"
    if (SCRATCH / f"{path.name}.ready").exists():
        return path
    path.unlink(missing_ok=True)
    if source:
        shutil.copyfile(source, path)
    else:
        from kizuna.demo import run_demo
        from kizuna.kit.store import open_store

        run_demo(open_store(f"sqlite:///{path}"), customers=customers)
    from kizuna.kit.db import make_engine
    from kizuna.kit.migrate import upgrade

    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    if orders:
        _top_up(path, orders)
    (SCRATCH / f"{path.name}.ready").touch()
    return path


def _top_up(path: Path, target: int) -> None:
    with sqlite3.connect(path) as db:
        have, top = db.execute("SELECT count(*), max(id) FROM orders").fetchone()
        missing = target - have
        while missing > 0:
            step = min(missing, have)
            db.execute(
                "INSERT INTO orders (order_number, customer_id, channel, status, currency, "
                "placed_at, subtotal, discount, shipping_fee, points_used, total, created_at, "
                "updated_at) SELECT order_number || '-b' || ?, customer_id, channel, status, "
                "currency, datetime(placed_at, '-' || (7 + id % 60) || ' days') || '.000000', "
                "subtotal, discount, shipping_fee, points_used, total, created_at, updated_at "
                "FROM orders WHERE id <= ? AND placed_at > '2025-01-01'",
                (top, step),
            )
            have, top = db.execute("SELECT count(*), max(id) FROM orders").fetchone()
            missing = target - have


def prepare_postgres(sqlite_path: Path) -> str:
    """The same shop in a fresh PostgreSQL database (copied through DuckDB), analysed."""
    import duckdb
    import psycopg

    from kizuna.analytics.backends import _extension
    from kizuna.kit.db import make_engine
    from kizuna.kit.migrate import upgrade

    name = f"kizuna_bench_{sqlite_path.stem.replace('-', '_')}"
    base = PG_ADMIN.rsplit("/", 1)[0]
    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')  # type: ignore[arg-type]
        admin.execute(f'CREATE DATABASE "{name}"')  # type: ignore[arg-type]
    engine = make_engine(f"{base}/{name}")
    upgrade(engine)
    engine.dispose()
    db = duckdb.connect()
    db.load_extension(_extension("sqlite_scanner"))
    db.load_extension(_extension("postgres_scanner"))
    db.execute(f"ATTACH '{sqlite_path}' AS s (TYPE sqlite, READ_ONLY)")
    host = base.split("@", 1)[1].split(":")[0]
    db.execute(f"ATTACH 'host={host} user=postgres dbname={name}' AS p (TYPE postgres)")
    tables = ("categories", "brands", "products", "customers", "consent_changes",
              "subscriptions", "orders", "order_lines", "returns", "events")  # fmt: skip
    for table in tables:
        cols = [r[0] for r in db.execute(f"DESCRIBE p.public.{table}").fetchall()]
        have = {r[0] for r in db.execute(f"DESCRIBE s.{table}").fetchall()}
        names = ", ".join(f'"{c}"' for c in cols if c in have)
        db.execute(f"INSERT INTO p.public.{table} ({names}) SELECT {names} FROM s.{table}")
    with psycopg.connect(f"{base}/{name}", autocommit=True) as conn:
        conn.execute("ANALYZE")
    return f"{base}/{name}"


def drop_postgres(url: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')  # type: ignore[arg-type]


# ---------------------------------------------------------------- workers
def worker_kizuna(url: str, engine: str, repeat: int) -> dict[str, Any]:
    """Timed nightly snapshots on ``engine`` (after an untimed one for the day before)."""
    from kizuna.analytics.backends import connect
    from kizuna.analytics.ranks.evaluate import distribution
    from kizuna.analytics.segments.compile import SegmentBase, count
    from kizuna.analytics.segments.definition import SegmentDefinition
    from kizuna.analytics.snapshots import take_snapshot
    from kizuna.kit.db import make_engine

    record = make_engine(url)
    with record.begin() as conn:
        conn.exec_driver_sql("DELETE FROM analytics_rank_spells")
        conn.exec_driver_sql("DELETE FROM analytics_snapshot_runs")
    record.dispose()
    started = time.perf_counter()
    first = take_snapshot(url, AS_OF - timedelta(days=1), engine=engine)
    first_seconds = time.perf_counter() - started
    runs, report = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        report = take_snapshot(url, AS_OF, engine=engine)
        runs.append(time.perf_counter() - started)
    con = connect(url, engine)
    started = time.perf_counter()
    base = SegmentBase.build(con, AS_OF)
    base_seconds = time.perf_counter() - started
    definition = SegmentDefinition.from_data(SEGMENT)
    counts = [count(base, definition) for _ in range(max(repeat, 3))]
    ranks = {r.rank: r.customers for r in distribution(base.table, _policy()) if r.customers}
    return {
        "seconds": min(runs), "runs": runs, "first_snapshot_seconds": first_seconds,
        "first_snapshot_rows": first.opened, "changed": report.opened if report else None,
        "segment_base_seconds": base_seconds,
        "segment_count_seconds": min(c.seconds for c in counts),
        "segment_members": counts[0].members, "ranks": ranks, "peak_rss_mb": harness.peak_rss_mb(),
    }  # fmt: skip


def _policy() -> Any:
    from kizuna.analytics.ranks.policy import default_policy

    return default_policy()


def worker_pandas(path: str) -> dict[str, Any]:
    """The same recompute with pandas: read, compute, write the ranks back."""
    import pandas as pd

    started = time.perf_counter()
    with sqlite3.connect(path) as db:
        frames = {name: pd.read_sql_query(sql, db) for name, sql in _PANDAS_SQL.items()}
        read = time.perf_counter() - started
        ranks = pandas_ranks(frames, AS_OF)
        ranks[["customer_id", "rank"]].to_sql("bench_pandas_ranks", db, if_exists="replace")
    return {
        "seconds": time.perf_counter() - started, "read_seconds": read,
        "ranks": ranks["rank"].value_counts().to_dict(), "peak_rss_mb": harness.peak_rss_mb(),
    }  # fmt: skip


_PANDAS_SQL = {
    "customers": "SELECT id AS customer_id, is_problem, registered_at FROM customers "
    "WHERE merged_into_id IS NULL",
    "orders": "SELECT id AS order_id, customer_id, placed_at, total FROM orders "
    "WHERE status <> 'cancelled' AND customer_id IS NOT NULL",
    "returns": "SELECT order_id, returned_at, amount FROM returns WHERE order_id IS NOT NULL",
    "subscriptions": "SELECT customer_id, status, started_at, cancelled_at FROM subscriptions",
    "events": "SELECT customer_id, type, occurred_at FROM events WHERE customer_id IS NOT NULL",
}


def _local_day(text: Any) -> Any:
    import pandas as pd

    return (pd.to_datetime(text) + pd.Timedelta(hours=9)).dt.normalize()


def pandas_ranks(f: dict[str, Any], as_of: date) -> Any:
    """DESIGN's default ranks with pandas groupbys (Asia/Tokyo days, the default thresholds)."""
    import numpy as np
    import pandas as pd

    cut = pd.Timestamp(as_of)
    o, r = f["orders"], f["returns"]
    o["day"] = _local_day(o["placed_at"])
    o = o[o["day"] <= cut]
    r = r[_local_day(r["returned_at"]) <= cut].groupby("order_id")["amount"].sum()
    o = o.join(r.rename("returned"), on="order_id")
    o["returned"] = o["returned"].fillna(0)
    o = o[(o["returned"] <= 0) | (o["returned"] < o["total"])]
    o["amount"] = o["total"] - o["returned"]
    days = o.groupby(["customer_id", "day"], as_index=False)["amount"].sum()
    days["recent"] = days["day"] > cut - pd.Timedelta(days=365)
    per = days.groupby("customer_id").agg(
        first=("day", "min"), last=("day", "max"), purchase_days=("day", "size")
    )
    recent = (
        days[days["recent"]]
        .groupby("customer_id")
        .agg(spend_12m=("amount", "sum"), days_12m=("day", "size"))
    )
    s = f["subscriptions"]
    started = _local_day(s["started_at"]) <= cut
    running = (s["status"] == "active") | (_local_day(s["cancelled_at"]) > cut)
    subs = s[started & running].groupby("customer_id").size().rename("subs")
    e = f["events"]
    e["day"] = _local_day(e["occurred_at"])
    e = e[(e["day"] <= cut) & e["type"].isin(["page_view", "product_view", "search",
                                               "cart_add", "checkout_start"])]  # fmt: skip
    engaged = e.groupby("customer_id")["day"].max().rename("engaged")
    c = f["customers"]
    c = c.join(per, on="customer_id").join(recent, on="customer_id")
    c = c.join(subs, on="customer_id").join(engaged, on="customer_id")
    reg = _local_day(c["registered_at"])
    c = c[reg.isna() | (reg <= cut) | c["purchase_days"].notna()].copy()
    n = c["purchase_days"].fillna(0)
    spend, days12 = c["spend_12m"].fillna(0), c["days_12m"].fillna(0)
    recency = (cut - c["last"]).dt.days
    tenure = (cut - c["first"]).dt.days
    quiet = (cut - c["engaged"]).dt.days
    subscribed = c["subs"].fillna(0) > 0
    loyal = (spend >= 50_000) & (days12 >= 4)
    rules = [
        (c["is_problem"] == 1, "problem"), ((n == 0) & (quiet <= 30), "hot_lead"),
        (n == 0, "lead"), (recency >= 365, "churned"), (recency >= 180, "dormant"),
        ((spend >= 200_000) | (loyal & subscribed), "best"), (loyal, "loyal"),
        (subscribed, "subscription"), (n >= 2, "repeat"), (tenure < 90, "new"),
    ]  # fmt: skip
    c["rank"] = np.select([cond for cond, _ in rules], [name for _, name in rules], "one_time")
    return c


# ---------------------------------------------------------------- driver
def _worker(argv: list[str], timeout: float) -> dict[str, Any]:
    done = harness.run_command([sys.executable, "-m", "bench.bench_analytics", *argv], timeout)
    if done.returncode != 0:
        raise RuntimeError(f"worker {argv} exited {done.returncode}: {done.stderr[-3000:]}")
    result: dict[str, Any] = done.json_lines()[-1]
    result["wall_seconds"] = done.seconds
    result["process_peak_rss_mb"] = done.peak_rss_mb
    return result


def measure(
    customers: int, path: Path, engines: list[str], repeat: int, timeout: float
) -> list[dict[str, Any]]:
    """Run the workers for one size and record the measurements."""
    size = harness.size_label(customers)
    with sqlite3.connect(path) as db:
        orders = db.execute("SELECT count(*) FROM orders").fetchone()[0]
    label = f"{size} ({orders / 1e6:.1f}M orders)"
    pandas = _worker(["--worker", "pandas", "--db", str(path)], timeout)
    out = []
    pg_url = prepare_postgres(path) if {"postgres", "duckdb-pg"} & set(engines) else None
    try:
        for engine in engines:
            url = pg_url if engine in ("postgres", "duckdb-pg") else f"sqlite:///{path}"
            name = "duckdb" if engine == "duckdb-pg" else engine
            got = _worker(["--worker", "kizuna", "--engine", name, "--url", str(url),
                           "--repeat", str(repeat)], timeout)  # fmt: skip
            same = got["ranks"] == {k: v for k, v in pandas["ranks"].items() if v}
            extra = {"engine": engine, "orders": orders, "kizuna": got, "pandas": pandas,
                     "same_ranks_as_pandas": same}  # fmt: skip
            default = engine == "duckdb"
            out.append(harness.record(
                f"analytics: full recompute ({engine})", label, "seconds", round(got["seconds"], 3),
                "s", baseline="pandas read_sql + groupby + to_sql",
                baseline_value=round(pandas["seconds"], 3), better="lower",
                target=5.0 if default and customers >= 1_000_000 else None,
                target_ratio=10.0 if default else None, extra=extra,
                notes=None if same else "rank counts differ from the pandas baseline",
            ))  # fmt: skip
            # the worker's own peak (getrusage SELF): wait4's figure for a child also counts the
            # parent's size at fork; Spark's JVM is a separate process and is not included
            out.append(harness.record(
                f"analytics: full recompute ({engine})", label, "peak memory",
                round(got["peak_rss_mb"], 1), "MB", baseline="pandas",
                baseline_value=round(pandas["peak_rss_mb"], 1), better="lower",
                extra={"engine": engine},
                notes="driver process only (the JVM is not counted)" if engine == "spark" else None,
            ))  # fmt: skip
            out.append(harness.record(
                f"analytics: 5-predicate segment count ({engine})", label, "seconds",
                round(got["segment_count_seconds"], 4), "s", better="lower",
                target=0.5 if default and customers >= 1_000_000 else None,
                extra={"members": got["segment_members"],
                       "base_seconds": got["segment_base_seconds"]},
            ))  # fmt: skip
    finally:
        if pg_url:
            drop_postgres(pg_url)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=10_000)
    parser.add_argument(
        "--source-db", help="an existing demo SQLite file to copy (1M: 20 min saved)"
    )
    parser.add_argument("--orders", type=int, help="top the orders up to this many")
    parser.add_argument("--engines", default="duckdb,postgres,duckdb-pg,spark")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=3600)
    parser.add_argument("--worker", choices=["kizuna", "pandas"])
    parser.add_argument("--engine", default="duckdb")
    parser.add_argument("--url")
    parser.add_argument("--db")
    args = parser.parse_args(argv)
    if args.worker == "kizuna":
        print(json.dumps(worker_kizuna(args.url, args.engine, args.repeat), default=str))
        return 0
    if args.worker == "pandas":
        print(json.dumps(worker_pandas(args.db), default=str))
        return 0
    orders = args.orders or (10 * args.customers if args.customers >= 1_000_000 else None)
    path = prepare(args.customers, args.source_db, orders)
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    for item in measure(args.customers, path, engines, args.repeat, args.timeout):
        print(
            json.dumps(
                {k: item[k] for k in ("capability", "size", "metric", "value", "unit", "ratio")},
                ensure_ascii=False,
            )
        )
    harness.refresh_summary()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
