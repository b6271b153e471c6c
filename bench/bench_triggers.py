"""Journey triggers: how fast an order or a cart event becomes the journey's first message, and
how long the daily triggers take at a million customers.

1. **Trigger latency** (``latency``): a SQLite record of N customers (100k by default), the real
   worker (Huey consumer over a SQLite queue, with its periodic jobs) and the welcome and cart
   journeys switched on. The bench plays the ingest pipeline: it records a first order (or a
   cart event), commits, and enqueues ``automation.on_order`` (``automation.on_events``), at a
   steady rate. A poller sees each journey message appear in the outbox (committed, with its
   ``channels.send_batch`` enqueued). Latency = seen − arrival; for the cart, seen − (arrival +
   the journey's quiet period), i.e. the delay beyond what the shop asked for. Target: p95 ≤ 60 s.
2. **Daily triggers** (``daily``): a copy of the 1M-customer demo record (``/tmp/demo1m.db``)
   with a points lot for each order of its last year. For birthdays (7 days before), dormancy
   (180 days) and points expiring (30 days): the set-based scan + enrolment, then the runner
   taking every enrolment through its journey to the outbox. Baseline: the same candidates found
   the way a hand-written nightly script would (read every customer, order summary or lot into
   Python and filter there).

    .venv/bin/python -m bench.bench_triggers --sizes 100k [--demo /tmp/demo1m.db] [--skip-daily]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import harness

WORKER = (
    "import sys; from kizuna.kit import queue; queue.configure(sys.argv[1], name=sys.argv[2]); "
    "queue.run_worker(['kizuna.channels.tasks', 'kizuna.automation.tasks'], workers=2)"
)
CART_QUIET_HOURS = 0.01  # 36 s: the cart journey's "no purchase N hours after" for the bench
DAILY = (("birthday", "birthday"), ("dormant_winback", "dormant"), ("points_expiring", "points"))


def _seed(url: str, count: int) -> None:
    from kizuna.kit.bulk import Bulk
    from kizuna.kit.db import make_engine, make_sessionmaker, session_scope
    from kizuna.kit.migrate import upgrade

    engine = make_engine(url)
    upgrade(engine)
    with session_scope(make_sessionmaker(engine)) as session:
        bulk = Bulk(session)
        stamp = bulk.time(datetime(2024, 1, 1, tzinfo=UTC))
        ids = range(1, count + 1)
        bulk.executemany(
            "INSERT INTO customers (id, family_name, given_name, is_member, gender, "
            "registration_channel, marketing_status, attributes, is_problem, created_at, "
            "updated_at) VALUES (?, '山田', ?, 1, 'unknown', 'online', 'subscribed', '{}', 0, "
            "?, ?)",
            [(i, f"花子{i}", stamp, stamp) for i in ids],
        )
        bulk.executemany(
            "INSERT INTO identities (customer_id, kind, value, created_at) "
            "VALUES (?, 'email', ?, ?)",
            [(i, f"c{i}@example.jp", stamp) for i in ids],
        )
        bulk.executemany(
            "INSERT INTO consent_changes (customer_id, channel, granted, source, changed_at) "
            "VALUES (?, 'email', 1, 'bench', ?)",
            [(i, stamp) for i in ids],
        )
        bulk.executemany(
            "INSERT INTO products (sku, name, price, currency, stock_status, created_at, "
            "updated_at) VALUES (?, ?, ?, 'JPY', 'in_stock', ?, ?)",
            [(f"SKU{n}", f"商品{n}", 1000 + 100 * n, stamp, stamp) for n in range(50)],
        )
    _journeys(engine)
    engine.dispose()


def _journeys(engine: Any) -> None:
    from kizuna.automation.journeys import service
    from kizuna.automation.journeys.store import do_publish, do_set_enabled, load
    from kizuna.kit.db import make_sessionmaker, session_scope

    with session_scope(make_sessionmaker(engine)) as session:
        service.install_presets(session, actor="bench")
        for key in ("welcome", "cart_abandonment"):
            doc = load(session, key).journey
            update: dict[str, Any] = {"holdout_share": 0.0}
            if key == "cart_abandonment":
                update["trigger"] = doc.trigger.model_copy(
                    update={"params": {"hours": CART_QUIET_HOURS}}
                )
            do_publish(session, doc.model_copy(update=update), actor="bench")
            do_set_enabled(session, key, True, actor="bench")


@contextmanager
def _sink() -> Iterator[str]:
    """An SMTP server in this process that accepts everything (the mails are not the point)."""
    from aiosmtpd.controller import Controller

    class Accept:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    controller = Controller(Accept(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield f"smtp://127.0.0.1:{port}"
    finally:
        controller.stop()


class Poller(threading.Thread):
    """Notes when each outbox row first becomes visible (committed)."""

    def __init__(self, path: str) -> None:
        super().__init__(daemon=True)
        self.path, self.last = path, 0
        self.seen: dict[str, float] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        conn = sqlite3.connect(self.path, timeout=30)
        while not self.stop.is_set():
            rows = conn.execute(
                "SELECT id, dedupe_key FROM outbox_messages WHERE id > ? ORDER BY id", (self.last,)
            ).fetchall()
            stamp = time.perf_counter()
            for row_id, key in rows:
                self.seen.setdefault(key, stamp)
                self.last = max(self.last, row_id)
            time.sleep(0.02)
        conn.close()


def _percentiles(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50": statistics.median(ordered), "p95": p95, "max": ordered[-1], "n": len(ordered)}


def latency(customers: int, events: int = 200, rate: float = 10.0) -> list[dict[str, Any]]:
    """Order → welcome mail and cart event → reminder, through the real worker."""
    import kizuna.automation.tasks  # noqa: F401  (declares the jobs the bench enqueues)
    from kizuna.kit import queue

    folder = Path(tempfile.mkdtemp(prefix="kizuna_bench_trig_"))
    db_path = folder / "record.db"
    db_url, queue_url = f"sqlite:///{db_path}", f"sqlite:///{folder / 'queue.db'}"
    name = f"bench-{uuid.uuid4().hex[:6]}"
    _seed(db_url, customers)
    arrivals: dict[str, tuple[float, float]] = {}
    poller = Poller(str(db_path))
    with _sink() as smtp_url:
        env = {
            **os.environ,
            "KIZUNA_DATABASE_URL": db_url,
            "KIZUNA_QUEUE_URL": queue_url,
            "KIZUNA_SMTP_URL": smtp_url,
        }
        worker = subprocess.Popen(
            [sys.executable, "-c", WORKER, queue_url, name], env=env, stderr=subprocess.PIPE
        )
        queue.configure(queue_url, name=name)
        poller.start()
        try:
            time.sleep(3)  # the worker's start-up recovery pass
            arrivals = _feed(db_url, customers, events, rate)
            deadline = time.perf_counter() + 180
            while set(arrivals) - set(poller.seen) and time.perf_counter() < deadline:
                if worker.poll() is not None:
                    raise RuntimeError(worker.stderr.read().decode() if worker.stderr else "")
                time.sleep(0.2)
        finally:
            poller.stop.set()
            worker.terminate()
            worker.wait(30)
            shutil.rmtree(folder, ignore_errors=True)
    missing = sorted(set(arrivals) - set(poller.seen))
    if missing:
        raise RuntimeError(f"{len(missing)} messages never appeared, e.g. {missing[:3]}")
    out = []
    for kind, prefix in (("order", "j:welcome"), ("cart", "j:cart")):
        waits = [
            poller.seen[key] - (arrived + delay)
            for key, (arrived, delay) in arrivals.items()
            if key.startswith(prefix)
        ]
        stats = _percentiles(waits)
        out.append(
            harness.record(
                "journey_trigger_latency",
                f"{harness.size_label(customers)} customers",
                f"{kind}_to_first_message_p95",
                round(stats["p95"], 3),
                "s",
                better="lower",
                target=60,
                notes=(
                    f"{stats['n']} {kind} events at {rate:g}/s through the ingest job and the "
                    "real worker (SQLite record and queue); cart latency is counted from the end "
                    "of the journey's quiet period"
                ),
                extra={k: round(v, 3) for k, v in stats.items()},
            )
        )
    return out


def _feed(db_url: str, customers: int, events: int, rate: float) -> dict[str, tuple[float, float]]:
    """Record first orders and cart events at ``rate`` per second, as the ingest pipeline would;
    returns ``{expected dedupe key: (arrival, quiet period)}``."""
    from kizuna.events.models import Event
    from kizuna.kit.clock import now, to_shop_tz
    from kizuna.kit.db import make_engine, make_sessionmaker, session_scope
    from kizuna.kit.queue import enqueue
    from kizuna.orders.models import Order

    sessions = make_sessionmaker(make_engine(db_url))
    arrivals: dict[str, tuple[float, float]] = {}
    for i in range(events):
        cid, moment = customers - i, now()
        with session_scope(sessions) as session:
            row: Any
            if i % 2 == 0:
                row = Order(
                    order_number=f"B{i}", customer_id=cid, placed_at=moment, subtotal=3200,
                    total=3200,
                )  # fmt: skip
            else:
                row = Event(
                    event_key=f"b{i}", customer_id=cid, type="cart_add", occurred_at=moment,
                    sku=f"SKU{i % 50}", properties={},
                )  # fmt: skip
            session.add(row)
            session.flush()
            row_id = row.id
        arrived = time.perf_counter()
        if i % 2 == 0:
            enqueue("automation.on_order", row_id)
            arrivals[f"j:welcome:thanks.once:{cid}"] = (arrived, 0.0)
        else:
            enqueue("automation.on_events", [row_id])
            key = f"j:cart_abandonment:remind.c{to_shop_tz(moment):%Y%m%d}:{cid}"
            arrivals[key] = (arrived, CART_QUIET_HOURS * 3600)
        time.sleep(1 / rate)
    return arrivals


def _prepare_demo(source: str, target: Path) -> str:
    """Copy the demo record (the original is only read), migrate the copy and give every order
    of its last year a points lot expiring a year after the order."""
    from kizuna.kit.db import make_engine
    from kizuna.kit.migrate import upgrade

    if not target.exists():
        shutil.copyfile(source, target)
    url = f"sqlite:///{target}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    conn = sqlite3.connect(target)
    if conn.execute("SELECT count(*) FROM point_lots").fetchone()[0] == 0:
        conn.executescript(
            """
            INSERT INTO point_entries (customer_id, kind, points, idempotency_key, fingerprint,
                reason, actor, order_id, deducted_points, waived_points, created_at)
            SELECT customer_id, 'earn', max(total / 100, 1), 'bench-' || id, 'bench', 'order',
                'system', id, 0, 0, placed_at
            FROM orders WHERE customer_id IS NOT NULL AND status != 'cancelled'
              AND placed_at >= (SELECT datetime(max(placed_at), '-365 days') FROM orders);
            INSERT INTO point_lots (customer_id, entry_id, is_debt, points, remaining, moves,
                earned_at, expires_at)
            SELECT customer_id, id, 0, points, points, 1, created_at,
                datetime(created_at, '+365 days') FROM point_entries WHERE fingerprint = 'bench';
            """
        )
        conn.commit()
    conn.close()
    return url


def daily(demo: str, keep: bool = False, only: str | None = None) -> list[dict[str, Any]]:
    """Birthdays, dormancy and points expiring over a demo record (1M customers by default);
    ``only``: one journey key."""
    from kizuna.automation.journeys import service
    from kizuna.automation.journeys.store import do_set_enabled
    from kizuna.kit.db import make_engine, make_sessionmaker, session_scope

    target = Path(tempfile.gettempdir()) / f"kizuna_trig_{Path(demo).stem}.db"
    url = _prepare_demo(demo, target)
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    conn = sqlite3.connect(target)
    customers = conn.execute("SELECT count(*) FROM customers").fetchone()[0]
    last = conn.execute("SELECT max(placed_at) FROM orders").fetchone()[0]
    today = date.fromisoformat(last[:10]) + timedelta(days=1)
    at = datetime.combine(today, datetime.min.time(), tzinfo=UTC) + timedelta(minutes=5)
    with session_scope(sessions) as session:
        service.install_presets(session, actor="bench")
        for other in service.list_journeys(session, measure=False):  # the demo's replayed ones
            _forget(session, other["key"])
    out = []
    for key, trigger in DAILY:
        if only and key != only:
            continue
        with session_scope(sessions) as session:
            _forget(session, key)
            do_set_enabled(session, key, True, actor="bench")
        day = _expiry_day(conn, today) if trigger == "points" else today
        moment = at + (day - today)
        out += _measure_daily(sessions, conn, key, trigger, day, moment, customers)
    conn.close()
    engine.dispose()
    if not keep:
        target.unlink(missing_ok=True)
    return out


def _measure_daily(
    sessions: Any,
    conn: sqlite3.Connection,
    key: str,
    trigger: str,
    today: date,
    at: datetime,
    customers: int,
) -> list[dict[str, Any]]:
    from kizuna.automation.journeys import runner
    from kizuna.automation.journeys.enrol import scan_journey
    from kizuna.automation.journeys.store import load
    from kizuna.kit.db import session_scope

    _baseline(conn, trigger, today)  # warm the page cache for both, untimed
    started = time.perf_counter()
    with session_scope(sessions) as session:
        scan, enrolled = scan_journey(session, load(session, key), at=at)
    scan_s = time.perf_counter() - started
    baseline_s, expected = _baseline(conn, trigger, today)
    started, advanced, recorded = time.perf_counter(), 0, 0
    while True:
        with session_scope(sessions) as session:
            report = runner.tick(session, at=at, limit=2000)
        advanced += report.advanced
        recorded += len(report.pending)
        if report.advanced == 0:
            break
    run_s = time.perf_counter() - started
    size = f"{harness.size_label(customers)} customers"
    return [
        harness.record(
            "daily_trigger_scan",
            size,
            f"{trigger}_seconds",
            round(scan_s, 3),
            "s",
            baseline="nightly script: every row read into Python and filtered",
            baseline_value=round(baseline_s, 3),
            better="lower",
            notes=(
                f"set-based scan and enrolment of {enrolled} customers "
                f"(scan found {len(scan.entries)}; the script found {expected})"
            ),
            extra={
                "customers": customers,
                "found": len(scan.entries),
                "enrolled": enrolled,
                "baseline_found": expected,
            },
        ),
        harness.record(
            "daily_trigger_run",
            size,
            f"{trigger}_journey_seconds",
            round(run_s, 3),
            "s",
            better="lower",
            notes=(
                f"runner: {advanced} enrolments through holdout, coupons/points, content and "
                f"guards into the outbox ({recorded} pending messages)"
            ),
            extra={"customers": customers, "advanced": advanced, "pending": recorded},
        ),
    ]


def _expiry_day(conn: sqlite3.Connection, today: date) -> date:
    """The day whose "expires in 30 days" finds the most lots within the next two months: a
    record whose lots all expire at month ends (the demo's programme) has nothing to find on
    most days, so the bench runs on the day the month-end batch is announced."""
    rows = conn.execute(
        "SELECT date(datetime(expires_at, '+9 hours', '-1 seconds')) AS last, count(*) "
        "FROM point_lots WHERE remaining > 0 GROUP BY last ORDER BY count(*) DESC"
    ).fetchall()
    window = [
        date.fromisoformat(last)
        for last, _ in rows
        if last
        and today + timedelta(days=30) <= date.fromisoformat(last)
        and date.fromisoformat(last) <= today + timedelta(days=60)
    ]
    return window[0] - timedelta(days=30) if window else today


def _forget(session: Any, key: str) -> None:
    """Remove an earlier bench run of ``key`` (a kept copy is re-used)."""
    from sqlalchemy import text

    for sql in (
        "DELETE FROM journey_progress WHERE journey_key = :k",
        "DELETE FROM journey_enrolments WHERE journey_key = :k",
        "DELETE FROM message_log WHERE outbox_id IN "
        "(SELECT id FROM outbox_messages WHERE source_type = 'journey' AND source_key = :k)",
        "DELETE FROM outbox_messages WHERE source_type = 'journey' AND source_key = :k",
        "DELETE FROM experiment_assignments WHERE experiment = 'journey:' || :k",
    ):
        session.execute(text(sql), {"k": key})


def _baseline(conn: sqlite3.Connection, trigger: str, today: date) -> tuple[float, int]:
    """How long a naive nightly script takes to find the same customers (and how many): the
    same two target days as the scanners (today's and the catch-up day)."""
    started = time.perf_counter()
    jst = timedelta(hours=9)
    found: set[Any] = set()
    if trigger == "birthday":
        days = {f"{today + timedelta(days=d):%m-%d}" for d in (6, 7)}
        for cid, born, merged, erased in conn.execute(
            "SELECT id, birth_date, merged_into_id, erased_at FROM customers"
        ):
            if born and born[5:10] in days and merged is None and erased is None:
                found.add(cid)
    elif trigger == "dormant":
        targets = {today - timedelta(days=d) for d in (180, 181)}
        for cid, last in conn.execute(
            "SELECT customer_id, max(placed_at) FROM orders WHERE status != 'cancelled' "
            "AND customer_id IS NOT NULL GROUP BY customer_id"
        ):
            if (datetime.fromisoformat(last) + jst).date() in targets:
                found.add(cid)
    else:
        targets = {today + timedelta(days=d) for d in (29, 30)}
        points: dict[tuple[int, date], int] = {}
        for cid, expires, remaining in conn.execute(
            "SELECT customer_id, expires_at, remaining FROM point_lots WHERE remaining > 0"
        ):
            last_day = (datetime.fromisoformat(expires) + jst - timedelta(microseconds=1)).date()
            if last_day in targets:
                points[(cid, last_day)] = points.get((cid, last_day), 0) + remaining
        found = {pair for pair, total in points.items() if total >= 100}
    return time.perf_counter() - started, len(found)


def run(sizes: list[int], repeat: int = 1) -> list[dict[str, Any]]:
    """Called by ``bench.run``: latency at the sizes up to 100k; the daily triggers on the 1M
    demo record when 1m is asked for and the record exists."""
    results: list[dict[str, Any]] = []
    for size in [s for s in sizes if s <= 100_000] or [100_000]:
        results += latency(size)
    if Path("/tmp/demo1m.db").exists() and any(s >= 1_000_000 for s in sizes):
        results += daily("/tmp/demo1m.db")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="100k")
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--demo", default="/tmp/demo1m.db")
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--skip-daily", action="store_true")
    parser.add_argument("--keep", action="store_true", help="keep the prepared copy")
    parser.add_argument("--only", help="one daily journey: birthday, dormant_winback, …")
    args = parser.parse_args()
    items: list[dict[str, Any]] = []
    if not args.skip_latency:
        for size in harness.parse_sizes(args.sizes):
            items += latency(size, args.events, args.rate)
    if not args.skip_daily and Path(args.demo).exists():
        items += daily(args.demo, args.keep, args.only)
    for item in items:
        fields = {k: item[k] for k in ("capability", "size", "metric", "value", "unit", "extra")}
        fields["baseline_value"] = item.get("baseline_value")
        print(json.dumps(fields, ensure_ascii=False))
    harness.refresh_summary()


if __name__ == "__main__":
    main()
