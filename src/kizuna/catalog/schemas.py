"""Catalog inputs."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class ProductIn:
    sku: str
    name: str = ""
    category_code: str | None = None
    category_name: str | None = None
    brand_code: str | None = None
    brand_name: str | None = None
    price: int = 0
    currency: str = "JPY"
    launch_date: date | None = None
    stock_status: str = "in_stock"

    def fingerprint(self) -> str:
        """Stable hash of the content."""
        return hashlib.blake2b(repr(self).encode(), digest_size=16).hexdigest()
