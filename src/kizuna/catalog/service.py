"""Catalog verbs: bulk upsert of products (with their categories and brands)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from kizuna.catalog.schemas import ProductIn
from kizuna.kit.bulk import Bulk
from kizuna.kit.clock import now
from kizuna.kit.counts import WriteCounts

_COLUMNS = (
    "sku",
    "name",
    "category_id",
    "brand_id",
    "price",
    "currency",
    "launch_date",
    "stock_status",
    "content_hash",
    "created_at",
    "updated_at",
)


def _ensure_codes(bulk: Bulk, table: str, names: dict[str, str]) -> dict[str, int]:
    known = bulk.fetch_map(table, "code", list(names))
    missing = [(code, name) for code, name in names.items() if code not in known]
    bulk.executemany(f"INSERT INTO {table} (code, name) VALUES (?, ?)", missing)
    if missing:
        known.update(bulk.fetch_map(table, "code", [code for code, _ in missing]))
    return known


def upsert_products(session: Session, items: Sequence[ProductIn]) -> WriteCounts:
    """Insert new products, update changed ones, leave identical ones alone."""
    bulk, stamp, counts = Bulk(session), bulk_time_now(session), WriteCounts()
    latest = {item.sku: item for item in items}
    counts.unchanged += len(items) - len(latest)
    categories = _ensure_codes(
        bulk,
        "categories",
        {
            i.category_code: i.category_name or i.category_code
            for i in latest.values()
            if i.category_code
        },
    )
    brands = _ensure_codes(
        bulk,
        "brands",
        {i.brand_code: i.brand_name or i.brand_code for i in latest.values() if i.brand_code},
    )
    existing = bulk.fetch_map("products", "sku", list(latest), "content_hash")
    rows_new, rows_changed = [], []
    for sku, item in latest.items():
        row = (
            sku,
            item.name,
            categories.get(item.category_code or ""),
            brands.get(item.brand_code or ""),
            item.price,
            item.currency,
            bulk.day(item.launch_date),
            item.stock_status,
            item.fingerprint(),
        )
        if sku not in existing:
            rows_new.append((*row, stamp, stamp))
        elif existing[sku] != item.fingerprint():
            rows_changed.append((*row[1:], stamp, sku))
    counts.inserted, counts.updated = len(rows_new), len(rows_changed)
    counts.unchanged += len(latest) - len(rows_new) - len(rows_changed)
    bulk.insert("products", _COLUMNS, rows_new)
    sets = ", ".join(f"{col} = ?" for col in _COLUMNS[1:-2]) + ", updated_at = ?"
    bulk.executemany(f"UPDATE products SET {sets} WHERE sku = ?", rows_changed)
    return counts


def ensure_skus(session: Session, names: dict[str, str], currency: str = "JPY") -> int:
    """Create placeholder products for SKUs seen on orders but not in the catalog; how many."""
    bulk = Bulk(session)
    known = bulk.fetch_map("products", "sku", list(names))
    stamp = bulk_time_now(session)
    missing = [
        (sku, name, 0, currency, "in_stock", stamp, stamp)
        for sku, name in names.items()
        if sku not in known
    ]
    columns = ("sku", "name", "price", "currency", "stock_status", "created_at", "updated_at")
    bulk.insert("products", columns, missing)
    return len(missing)


def bulk_time_now(session: Session) -> object:
    """Now, encoded for the session's dialect."""
    return Bulk(session).time(now())
