"""``run_demo``: generate the demo shop and load it through the domain bulk services.

The shop is generated and stored ten thousand people at a time, one transaction per chunk, so
memory stays flat however large the shop (1M customers, ~6M orders). Every record is keyed, so
running it again with the same seed reports everything unchanged.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from kizuna.catalog.service import upsert_products
from kizuna.customers.service import do_flag_problem, upsert_customers
from kizuna.demo.block import BLOCK, Block, generate_blocks, shop_catalogue
from kizuna.demo.journeys import seed_journeys
from kizuna.events.service import store_events
from kizuna.kit.bulk import Bulk, chunks
from kizuna.kit.counts import WriteCounts
from kizuna.kit.db import session_scope
from kizuna.kit.errors import ValidationFailed
from kizuna.orders.fulfilment import store_shipments, store_subscriptions
from kizuna.orders.service import store_orders, store_returns

Progress = Callable[[str, int, int], None]
CHUNK_BLOCKS = 10
BATCH = 20_000
TODAY = date(2026, 11, 24)
SEED = 20261124
WRITERS: dict[str, Callable[[Session, Sequence[Any]], WriteCounts]] = {
    "customers": upsert_customers, "orders": store_orders, "returns": store_returns,
    "subscriptions": store_subscriptions, "shipments": store_shipments, "events": store_events,
}  # fmt: skip


@dataclass
class DemoReport:
    """What ``run_demo`` generated and stored, with the seconds spent in each phase."""

    customers: int
    seed: int
    today: date
    guests: int = 0
    problems: int = 0
    records: dict[str, WriteCounts] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def tick(self, phase: str, started: float) -> float:
        """Add the time since ``started`` to ``phase``; returns now."""
        stamp = time.perf_counter()
        self.seconds[phase] = self.seconds.get(phase, 0.0) + stamp - started
        return stamp

    def to_dict(self) -> dict[str, Any]:
        """JSON form for the CLI and benchmarks."""
        return {
            "customers": self.customers, "seed": self.seed, "today": self.today.isoformat(),
            "guests": self.guests, "problems": self.problems,
            "records": {name: asdict(counts) for name, counts in self.records.items()},
            "seconds": {name: round(value, 3) for name, value in self.seconds.items()},
        }  # fmt: skip


def run_demo(
    sessions: sessionmaker[Session],
    customers: int = 50_000,
    seed: int = SEED,
    today: date = TODAY,
    progress: Progress | None = None,
) -> DemoReport:
    """Generate a shop of ``customers`` people and store it; returns counts and timings.

    About 75% of the people are members (``C0000001``…), the rest shop only as guests; members
    also check out as guests now and then, and those orders join them by email or phone.
    """
    if customers < 0:
        raise ValidationFailed("customers must not be negative", field="customers")
    report = DemoReport(customers=customers, seed=seed, today=today)
    report.records = {name: WriteCounts() for name in ("products", *WRITERS)}
    began = time.perf_counter()
    _, catalogue = shop_catalogue(seed, today)
    with session_scope(sessions) as session:
        report.records["products"].add(upsert_products(session, catalogue.items))
    report.tick("products", began)
    blocks = generate_blocks(customers, seed, today)
    done = 0
    while done < customers:
        started = time.perf_counter()
        chunk = [block for _, block in zip(range(CHUNK_BLOCKS), blocks, strict=False)]
        report.tick("generate", started)
        with session_scope(sessions) as session:
            _store_chunk(session, chunk, report)
        done = min(customers, done + CHUNK_BLOCKS * BLOCK)
        if progress:
            progress("demo", done, customers)
    started = time.perf_counter()
    seed_journeys(sessions, today)
    report.tick("journeys", started)
    report.tick("total", began)
    return report


def _store_chunk(session: Session, chunk: list[Block], report: DemoReport) -> None:
    """Store one chunk of blocks, record kind by record kind (customers first)."""
    for name, writer in WRITERS.items():
        started = time.perf_counter()
        items = [item for block in chunk for item in getattr(block, name)]
        for part in chunks(items, BATCH):
            report.records[name].add(writer(session, part))
        report.tick(name, started)
    started = time.perf_counter()
    report.problems += _flag_problems(session, [p for block in chunk for p in block.problems])
    report.guests += sum(block.guests for block in chunk)
    report.tick("problems", started)


def _flag_problems(session: Session, problems: list[tuple[str, str]]) -> int:
    """Flag the problem customers not flagged yet (so a re-run writes no new audit rows)."""
    found = Bulk(session).fetch_map("customers", "external_id", [key for key, _ in problems],
                                    "id, is_problem")  # fmt: skip
    flagged = 0
    for key, reason in problems:
        customer_id, is_problem = found[key]
        if not is_problem:
            do_flag_problem(session, customer_id, reason=reason, actor="demo")
            flagged += 1
    return flagged
