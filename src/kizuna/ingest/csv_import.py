"""Streaming file import: read → validate each row → store the good records in one transaction.

Every rejected row is reported with its file row number, the source column and the reason; the
good rows are kept. Records are keyed (customer id, SKU, order number, event id), so importing the
same file twice reports everything as unchanged. Either all good rows of a file land or none do.
Orders and returns from the last 48 hours then get their points, stages and journeys through
``pipeline`` (older history earns nothing and sends nothing); queued messages leave with the
outbox's minute sweep (``channels.dispatch_due``).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from kizuna.catalog.service import upsert_products
from kizuna.customers.service import check_identities, upsert_customers
from kizuna.events.service import store_events
from kizuna.ingest.pipeline import Reactions, orders_imported, returns_imported
from kizuna.ingest.presets import load_preset
from kizuna.ingest.reader import iter_rows, open_source
from kizuna.ingest.rows import PARSERS, RowError, RowProblem
from kizuna.kit.bulk import chunks
from kizuna.kit.counts import WriteCounts
from kizuna.kit.errors import UnusableInput
from kizuna.orders.service import store_orders, store_returns

Progress = Callable[[str, int, int], None]
BATCH = 20_000


@dataclass
class ImportReport:
    """What an import did. ``exit_code``: 0 clean, 1 rows rejected (2 is raised, not returned)."""

    kind: str
    file: str
    preset: str
    encoding: str = "utf-8"
    rows: int = 0
    rejected: int = 0
    records: dict[str, WriteCounts] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    reactions: Reactions | None = None  # orders and returns only (points, stages, journeys)

    @property
    def exit_code(self) -> int:
        return 1 if self.rejected else 0

    def to_dict(self) -> dict[str, Any]:
        """JSON form for ``--json`` and the API."""
        return {
            "kind": self.kind, "file": self.file, "preset": self.preset,
            "encoding": self.encoding, "rows": self.rows, "rejected": self.rejected,
            "records": {name: asdict(counts) for name, counts in self.records.items()},
            "errors": [asdict(e) for e in self.errors], "exit_code": self.exit_code,
        } | ({"reactions": self.reactions.to_dict()} if self.reactions else {})  # fmt: skip


@contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector: an import holds millions of small acyclic objects,
    which it would otherwise walk again and again (a fifth of the import's time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def import_file(
    session: Session,
    kind: str,
    path: str | Path,
    preset_name: str | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import ``path`` as ``kind`` records; UnusableInput (exit 2) when the file can't be used."""
    with _no_cyclic_gc():
        return _import_file(session, kind, path, preset_name, progress)


def _import_file(
    session: Session,
    kind: str,
    path: str | Path,
    preset_name: str | None,
    progress: Progress | None,
) -> ImportReport:
    if kind not in PARSERS:
        raise UnusableInput(
            f"unknown import kind {kind!r}; use customers, products, orders, events"
        )
    preset = load_preset(kind, preset_name)
    parser = PARSERS[kind](preset)
    source = open_source(path)
    report = ImportReport(kind, str(path), preset.name, source.encoding)
    try:
        rows = iter_rows(source, preset.delimiter)
        header = _bind(parser, rows, preset.header)
        for number, values in rows:
            report.rows += 1
            if isinstance(values, str):
                report.errors.append(RowError(number, "(row)", values))
                continue
            try:
                parser.accept(values, number)
            except RowProblem as problem:
                report.errors.append(RowError(number, problem.column, problem.reason))
            if progress and report.rows % 20_000 == 0:
                progress("read", source.position(), source.size)
        del header
    finally:
        source.close()
    if progress:
        progress("read", source.size, source.size)
    report.rejected = len(report.errors)
    _store(session, parser.records(), report, progress, parser.row_of)
    return report


def _bind(parser: Any, rows: Any, has_header: bool) -> list[str] | None:
    if not has_header:
        parser.bind(None)
        return None
    try:
        _number, header = next(rows)
    except StopIteration:
        raise UnusableInput("the file is empty: no header row") from None
    if isinstance(header, str):
        raise UnusableInput(f"the header row cannot be read: {header}")
    header = [column.strip().lstrip("\ufeff") for column in header]
    missing = parser.bind(header)
    if missing:
        raise UnusableInput(
            f"required column(s) {', '.join(missing)} missing; the header has: {', '.join(header)}",
            field=missing[0], row=1,
        )  # fmt: skip
    return header


def _store(session: Session, records: dict[str, list[Any]], report: ImportReport,
           progress: Progress | None, row_of: dict[str, int]) -> None:  # fmt: skip
    if "customers" in records:
        records["customers"] = _drop_identity_conflicts(
            session, records["customers"], report, row_of
        )
    writers: dict[str, Callable[[Session, Any], WriteCounts]] = {
        "customers": upsert_customers, "products": upsert_products, "orders": store_orders,
        "returns": store_returns, "events": store_events,
    }  # fmt: skip
    total = sum(len(items) for items in records.values())
    done = 0
    for name, items in records.items():
        counts = WriteCounts()
        for part in chunks(items, BATCH):
            counts.add(writers[name](session, part))
            done += len(part)
            if progress:
                progress("store", done, total)
        report.records[name] = counts
    if "orders" in records or "returns" in records:
        report.reactions = _react(session, records)


def _react(session: Session, records: dict[str, list[Any]]) -> Reactions:
    """Points, stages and journeys for the recent orders and returns of the file."""
    reactions = Reactions()
    if records.get("orders"):
        reactions.merge(orders_imported(session, [o.order_number for o in records["orders"]]))
    if records.get("returns"):
        reactions.merge(returns_imported(session, [r.return_number for r in records["returns"]]))
    return reactions


def _drop_identity_conflicts(
    session: Session, items: list[Any], report: ImportReport, row_of: dict[str, int]
) -> list:
    taken = check_identities(session, items)
    if not taken:
        return items
    for item in items:
        if item.external_id in taken:
            problem = taken[item.external_id]
            row = row_of.get(item.external_id, 0)
            report.errors.append(RowError(row, problem.field or "", problem.message))
    report.rejected = len(report.errors)
    return [item for item in items if item.external_id not in taken]
