"""Catalog reads: products by SKU for pages that show recommendations."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.catalog.models import Category, Product
from kizuna.kit.errors import NotFound


def products_by_sku(session: Session, skus: list[str]) -> dict[str, dict[str, Any]]:
    """``{sku: {name, price, currency, stock_status, category}}`` for the SKUs that exist."""
    if not skus:
        return {}
    query = (
        select(Product, Category.name)
        .outerjoin(Category, Category.id == Product.category_id)
        .where(Product.sku.in_(skus))
    )
    return {
        p.sku: {
            "sku": p.sku,
            "name": p.name,
            "price": p.price,
            "currency": p.currency,
            "stock_status": p.stock_status,
            "category": category,
            "launch_date": p.launch_date,
        }
        for p, category in session.execute(query)
    }


def product(session: Session, sku: str) -> dict[str, Any]:
    """One product; NotFound when the SKU is unknown."""
    found = products_by_sku(session, [sku]).get(sku)
    if found is None:
        raise NotFound(f"no product with SKU {sku!r}", field="sku")
    return found
