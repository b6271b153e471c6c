"""Writing the precomputed lists (whole-table replace in the caller's transaction) and reading
them back by primary key.

A rebuild deletes and re-inserts inside one transaction, so readers keep seeing the previous
lists until it commits (WAL snapshot on SQLite, MVCC on PostgreSQL); ``TRUNCATE`` would block
them instead. Stock changes between builds are applied at read time from a per-process set of
unsellable SKUs refreshed every ``STOCK_TTL`` seconds, so a read stays one indexed lookup.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kizuna.catalog.models import Product
from kizuna.kit.bulk import Bulk
from kizuna.recommend.config import SELLABLE
from kizuna.recommend.models import (
    RecommendCustomer,
    RecommendPopular,
    RecommendProduct,
    RecommendRun,
)

STOCK_TTL = 30.0
BATCH = 50_000
_unsellable: dict[str, tuple[float, frozenset[str]]] = {}


def _replace(
    session: Session, table: Any, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    session.execute(delete(table))
    bulk, count, batch = Bulk(session), 0, []
    for row in rows:
        batch.append(row)
        if len(batch) >= BATCH:
            bulk.insert(table.__tablename__, columns, batch)
            count, batch = count + len(batch), []
    bulk.insert(table.__tablename__, columns, batch)
    return count + len(batch)


def replace_customers(
    session: Session,
    rows: Iterable[tuple[int, list, str | None, str | None, str | None, str | None, list[str]]],
    built_at: datetime,
) -> int:
    """Replace every customer row: (id, items, gift sku, gift reason, stage, rank, segments)."""
    bulk = Bulk(session)
    stamp = bulk.time(built_at)
    columns = (
        "customer_id",
        "items",
        "gift_sku",
        "gift_reason",
        "stage",
        "rank",
        "segments",
        "built_at",
    )
    encoded = (
        (cid, bulk.json(items), gift, why, stage, rank, bulk.json(segments), stamp)
        for cid, items, gift, why, stage, rank, segments in rows
    )
    return _replace(session, RecommendCustomer, columns, encoded)


def replace_products(
    session: Session, rows: Iterable[tuple[str, list, list]], built_at: datetime
) -> int:
    """Replace every product row: (sku, related, alternatives)."""
    bulk = Bulk(session)
    stamp = bulk.time(built_at)
    encoded = ((sku, bulk.json(rel), bulk.json(alt), stamp) for sku, rel, alt in rows)
    return _replace(
        session, RecommendProduct, ("sku", "related", "alternatives", "built_at"), encoded
    )


def replace_popular(session: Session, lists: dict[str, list[str]], built_at: datetime) -> int:
    """Replace the best-seller lists."""
    bulk = Bulk(session)
    stamp = bulk.time(built_at)
    rows = ((key, bulk.json(items), stamp) for key, items in lists.items())
    return _replace(session, RecommendPopular, ("key", "items", "built_at"), rows)


def log_run(
    session: Session, kind: str, started_at: datetime, seconds: float, report: dict[str, Any]
) -> int:
    """Store a finished build or evaluation; returns its id."""
    run = RecommendRun(kind=kind, started_at=started_at, seconds=seconds, report=report)
    session.add(run)
    session.flush()
    return run.id


def latest_run(session: Session, kind: str) -> RecommendRun | None:
    """The newest run of ``kind`` (``build`` or ``evaluate``)."""
    query = select(RecommendRun).where(RecommendRun.kind == kind).order_by(RecommendRun.id.desc())
    return session.scalars(query.limit(1)).first()


def unsellable(session: Session) -> frozenset[str]:
    """SKUs out of stock or discontinued now (cached per database for ``STOCK_TTL`` seconds)."""
    key = session.get_bind().engine.url.render_as_string()
    stamp, skus = _unsellable.get(key, (0.0, frozenset()))
    if time.monotonic() - stamp > STOCK_TTL:
        query = select(Product.sku).where(Product.stock_status.not_in(SELLABLE))
        skus = frozenset(session.scalars(query))
        _unsellable[key] = (time.monotonic(), skus)
    return skus


def forget_stock() -> None:
    """Drop the cached unsellable SKUs (after a stock update in this process, and in tests)."""
    _unsellable.clear()


def customer_row(session: Session, customer_id: int) -> Any:
    """(items, gift sku, gift reason) of one customer, or None."""
    table = RecommendCustomer
    query = select(table.items, table.gift_sku, table.gift_reason)
    return session.execute(query.where(table.customer_id == customer_id)).first()


def product_rows(session: Session, skus: Sequence[str]) -> dict[str, Any]:
    """{sku: (related, alternatives)} for the SKUs that have a row."""
    table = RecommendProduct
    query = select(table.sku, table.related, table.alternatives).where(table.sku.in_(skus))
    return {sku: (rel, alt) for sku, rel, alt in session.execute(query)}


def popular_list(session: Session, key: str) -> list[str]:
    """A best-seller list (empty when unknown)."""
    items = session.scalar(select(RecommendPopular.items).where(RecommendPopular.key == key))
    return list(items or [])
