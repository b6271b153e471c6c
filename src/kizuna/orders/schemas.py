"""Order inputs: frozen dataclasses shared by the CSV import, the API and the demo generator."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class LineIn:
    sku: str
    quantity: int
    unit_price: int
    amount: int
    description: str | None = None
    discount: int = 0


@dataclass(frozen=True, slots=True)
class OrderIn:
    """One order. ``customer`` is the shop's customer id; guests give an email or phone instead."""

    order_number: str
    placed_at: datetime
    lines: tuple[LineIn, ...]
    customer: str | None = None
    country: str | None = None
    guest_email: str | None = None
    guest_phone: str | None = None
    channel: str = "online"
    status: str = "placed"
    currency: str = "JPY"
    discount: int = 0
    shipping_fee: int = 0
    points_used: int = 0
    idempotency_key: str | None = None

    @property
    def subtotal(self) -> int:
        return sum(line.amount for line in self.lines)

    @property
    def total(self) -> int:
        return self.subtotal - self.discount + self.shipping_fee - self.points_used

    def fingerprint(self) -> str:
        """Stable hash of the content (the idempotency key is not content)."""
        text = repr((self.order_number, self.placed_at, self.lines, self.customer, self.country,
                     self.guest_email, self.guest_phone, self.channel, self.status, self.currency,
                     self.discount, self.shipping_fee, self.points_used))  # fmt: skip
        return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


@dataclass(frozen=True, slots=True)
class ReturnIn:
    """Goods coming back. ``order_number`` names the order when the source knows it."""

    return_number: str
    returned_at: datetime
    lines: tuple[LineIn, ...]
    order_number: str | None = None
    customer: str | None = None
    country: str | None = None
    currency: str = "JPY"
    reason: str | None = None

    @property
    def amount(self) -> int:
        return sum(line.amount for line in self.lines)

    def fingerprint(self) -> str:
        """Stable hash of the content."""
        return hashlib.blake2b(repr(self).encode(), digest_size=16).hexdigest()
