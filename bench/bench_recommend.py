"""Benchmark: the recommendation rebuild (``build_all``) and the storefront reads, on a synthetic
shop of N customers written straight into a fresh database with ``kit.bulk.Bulk``.

The shop: 2,000 products in 20 categories (3% out of stock, 1% discontinued); each customer has
a home and a second category and two staple items they re-buy; 90% placed Geometric(0.45)
orders over two years (2.2 on average) of 1-4 lines: 35% staples, else Zipf-popular items of
the home (70%), second (20%) or any category; 30% of customers also viewed 1-10 products.
Generating and writing it is not timed. Timed: ``build_all`` (one run: minutes at 1M), then
the reads as the API calls them, each in its own session, 2,000 calls each (p50 / p99):
``for_you``, ``related_for``, a 3-item ``alternatives_for`` and ``content_block``. Target:
p99 ≤ 20 ms.
There is no baseline tool: ``baseline`` is null and the figures are held against the targets.

    .venv/bin/python -m bench.bench_recommend --customers 100000 [--backend postgres]
    .venv/bin/python -m bench.run --only recommend --sizes 100k,1m
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import psycopg
from sqlalchemy.orm import Session, sessionmaker

from bench.harness import peak_rss_mb, record, size_label
from kizuna.kit.bulk import Bulk
from kizuna.kit.db import make_engine, make_sessionmaker, session_scope
from kizuna.kit.migrate import upgrade
from kizuna.recommend import (
    Block,
    SlotContent,
    alternatives_for,
    build_all,
    content_block,
    do_publish_content,
    for_you,
    related_for,
)

CAPABILITY = "recommend"
PRODUCTS, CATEGORIES = 2_000, 20
PER_CATEGORY = PRODUCTS // CATEGORIES
START = np.datetime64("2024-11-24T00:00:00", "us")
READS = 2_000
PG_ADMIN = os.environ.get("KIZUNA_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def _stamps(bulk: Bulk, days: np.ndarray) -> list[Any]:
    """Day offsets as the dialect stores timestamps (SQLite text, PostgreSQL aware datetimes)."""
    moments = START + (days * 86_400e6).astype("timedelta64[us]")
    if bulk.dialect == "sqlite":
        return np.char.replace(np.datetime_as_string(moments, unit="us"), "T", " ").tolist()
    return [m.replace(tzinfo=UTC) for m in moments.astype(datetime).tolist()]


def _catalogue(bulk: Bulk, rng: np.random.Generator, now: Any) -> list[str]:
    bulk.insert(
        "categories",
        ("id", "code", "name"),
        [(c + 1, f"cat-{c}", f"カテゴリ{c}") for c in range(CATEGORIES)],
    )
    skus = [f"P{i:05d}" for i in range(PRODUCTS)]
    base = rng.lognormal(7.5, 0.6, CATEGORIES)
    price = base[np.arange(PRODUCTS) // PER_CATEGORY] * rng.lognormal(0, 0.35, PRODUCTS)
    stock = rng.choice(
        ["in_stock", "low_stock", "out_of_stock", "discontinued"],
        PRODUCTS,
        p=[0.9, 0.06, 0.03, 0.01],
    )
    bulk.insert(
        "products",
        (
            "id",
            "sku",
            "name",
            "category_id",
            "price",
            "currency",
            "stock_status",
            "created_at",
            "updated_at",
        ),
        [
            (
                i + 1,
                skus[i],
                skus[i],
                i // PER_CATEGORY + 1,
                int(price[i]),
                "JPY",
                str(stock[i]),
                now,
                now,
            )
            for i in range(PRODUCTS)
        ],
    )
    return skus


def _pick(rng: np.random.Generator, category: np.ndarray) -> np.ndarray:
    """A Zipf-popular item of each given category."""
    rank = np.minimum(rng.zipf(1.6, len(category)) - 1, PER_CATEGORY - 1)
    return category * PER_CATEGORY + rank


def synthesize(session: Session, customers: int, seed: int = 7) -> dict[str, int]:
    """Write the synthetic shop; returns row counts."""
    rng, bulk = np.random.default_rng(seed), Bulk(session)
    now = bulk.time(datetime.now(UTC))
    skus = _catalogue(bulk, rng, now)
    ids = np.arange(1, customers + 1)
    home = np.minimum(rng.zipf(1.3, customers) - 1, CATEGORIES - 1)
    second = rng.integers(0, CATEGORIES, customers)
    staples = np.stack([_pick(rng, home), _pick(rng, home)], axis=1)
    prefectures = np.array(["東京都", "大阪府", "神奈川県", "愛知県", "福岡県", "北海道"])
    pref = prefectures[rng.integers(0, len(prefectures), customers)]
    for part in range(0, customers, 200_000):
        bulk.insert(
            "customers",
            (
                "id",
                "external_id",
                "is_member",
                "gender",
                "registration_channel",
                "marketing_status",
                "prefecture",
                "attributes",
                "is_problem",
                "created_at",
                "updated_at",
            ),
            [
                (
                    int(i),
                    f"C{i}",
                    bool(i % 4),
                    "unknown",
                    "online",
                    "never_asked",
                    str(p),
                    "{}",
                    False,
                    now,
                    now,
                )
                for i, p in zip(
                    ids[part : part + 200_000], pref[part : part + 200_000], strict=True
                )
            ],
        )
    # one customer in ten registered without ordering (views only, or nothing at all)
    per = rng.geometric(0.45, customers) * (rng.uniform(size=customers) >= 0.1)
    who = np.repeat(np.arange(customers), per)
    days = np.sort(rng.uniform(0, 730, len(who)))
    order_ids = np.arange(1, len(who) + 1)
    totals = np.zeros(len(who), dtype=np.int64)
    lines = 1 + rng.binomial(3, 0.4, len(who))
    line_order = np.repeat(np.arange(len(who)), lines)
    buyer = who[line_order]
    mode = rng.uniform(size=len(line_order))
    pick_cat = np.where(
        mode < 0.7,
        home[buyer],
        np.where(mode < 0.9, second[buyer], rng.integers(0, CATEGORIES, len(line_order))),
    )
    item = np.where(
        rng.uniform(size=len(line_order)) < 0.35,
        staples[buyer, rng.integers(0, 2, len(line_order))],
        _pick(rng, pick_cat),
    )
    line_no = np.arange(len(line_order)) - np.repeat(np.cumsum(lines) - lines, lines) + 1
    np.add.at(totals, line_order, 1800)
    stamps = _stamps(bulk, days)
    for part in range(0, len(who), 500_000):
        end = part + 500_000
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
            [
                (
                    int(o),
                    f"O{o}",
                    int(c) + 1,
                    "online",
                    "paid",
                    "JPY",
                    s,
                    int(t),
                    0,
                    0,
                    0,
                    int(t),
                    now,
                    now,
                )
                for o, c, s, t in zip(
                    order_ids[part:end],
                    who[part:end],
                    stamps[part:end],
                    totals[part:end],
                    strict=True,
                )
            ],
        )
    for part in range(0, len(line_order), 1_000_000):
        end = part + 1_000_000
        bulk.insert(
            "order_lines",
            ("order_id", "line_no", "sku", "quantity", "unit_price", "discount", "amount"),
            [
                (int(o) + 1, int(n), skus[i], 1, 1800, 0, 1800)
                for o, n, i in zip(
                    line_order[part:end], line_no[part:end], item[part:end], strict=True
                )
            ],
        )
    viewers = rng.choice(customers, int(customers * 0.3), replace=False)
    views = rng.integers(1, 11, len(viewers))
    viewer = np.repeat(viewers, views)
    viewed = _pick(rng, np.where(rng.uniform(size=len(viewer)) < 0.8, home[viewer], second[viewer]))
    view_stamps = _stamps(bulk, np.sort(rng.uniform(600, 730, len(viewer))))
    bulk.insert(
        "events",
        ("event_key", "customer_id", "type", "occurred_at", "sku", "properties"),
        [
            (f"v{k}", int(c) + 1, "product_view", s, skus[i], "{}")
            for k, (c, s, i) in enumerate(zip(viewer, view_stamps, viewed, strict=True))
        ],
    )
    return {
        "customers": customers,
        "orders": len(who),
        "order_lines": len(line_order),
        "events": len(viewer),
    }


def _latency(factory: sessionmaker[Session], read: Callable[[Session, int], Any]) -> dict:
    """p50 / p99 milliseconds of READS calls, one session each (as an API request has)."""
    times = []
    for k in range(READS):
        start = time.perf_counter()
        with factory() as session:
            read(session, k)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {"p50": statistics.median(times), "p99": times[int(len(times) * 0.99) - 1]}


def _database(backend: str, folder: Path) -> tuple[str, Callable[[], None]]:
    if backend == "sqlite":
        return f"sqlite:///{folder / 'recommend.db'}", lambda: None
    name = f"kizuna_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}", drop


def measure(customers: int, backend: str = "sqlite") -> list[dict[str, Any]]:
    """Build time and read latencies for one shop size; records and returns the measurements."""
    with tempfile.TemporaryDirectory() as tmp:
        url, drop = _database(backend, Path(tmp))
        engine = make_engine(url)
        try:
            upgrade(engine)
            factory = make_sessionmaker(engine)
            with session_scope(factory) as s:
                rows = synthesize(s, customers)
            with session_scope(factory) as s:
                do_publish_content(
                    s, SlotContent(slot="home", default=Block(key="hello")), author="bench"
                )
            start = time.perf_counter()
            with session_scope(factory) as s:
                report = build_all(s)
            seconds = time.perf_counter() - start
            reads = _reads(factory, customers)
        finally:
            engine.dispose()
            drop()
    size, extra = (
        size_label(customers),
        {
            "rows": rows,
            "phases_s": report.seconds,
            "served_by": report.served_by,
            "backend": backend,
            "peak_rss_mb": round(peak_rss_mb(), 1),
        },
    )
    out = [
        record(
            CAPABILITY,
            size,
            f"build_all seconds ({backend})",
            round(seconds, 2),
            "s",
            better="lower",
            extra=extra,
        )
    ]
    for name, figures in reads.items():
        for stat in ("p50", "p99"):
            out.append(
                record(
                    CAPABILITY,
                    size,
                    f"{name} {stat} ({backend})",
                    round(figures[stat], 3),
                    "ms",
                    better="lower",
                    target=20.0 if stat == "p99" else None,
                )
            )
    return out


def _reads(factory: sessionmaker[Session], customers: int) -> dict[str, dict]:
    pick = random.Random(1)
    ids = [pick.randint(1, customers) for _ in range(READS)]
    skus = [f"P{pick.randrange(PRODUCTS):05d}" for _ in range(READS)]
    with factory() as s:
        for_you(s, 1)  # the stock cache is per process: warm it once, like a running server
    reads: dict[str, Callable[[Session, int], Any]] = {
        "for_you": lambda s, k: for_you(s, ids[k], 10),
        "related_for": lambda s, k: related_for(s, skus[k], 10),
        "alternatives_for (3 items)": lambda s, k: alternatives_for(
            s, [skus[k], "P00001", "P00002"], 10
        ),
        "content_block": lambda s, k: content_block(s, "home", ids[k]),
    }
    return {name: _latency(factory, read) for name, read in reads.items()}


def run(sizes: list[int], repeat: int = 1) -> list[dict[str, Any]]:
    """Entry point for ``bench.run``: SQLite at every size."""
    del repeat  # one build per size: minutes at 1M customers
    return [m for size in sizes for m in measure(size)]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args(argv)
    for item in measure(args.customers, args.backend):
        print(f"{item['size']:>6} {item['metric']:<42} {item['value']:>10} {item['unit']}")


if __name__ == "__main__":
    main()
