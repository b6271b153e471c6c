"""Order inputs: frozen dataclasses shared by the CSV import, the API and the demo generator."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, NamedTuple

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class LineIn(NamedTuple):
    """One order or return line (a tuple: millions are built per import; same repr as before,
    so stored fingerprints stay valid)."""

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
        text = repr(
            (
                self.order_number,
                self.placed_at,
                self.lines,
                self.customer,
                self.country,
                self.guest_email,
                self.guest_phone,
                self.channel,
                self.status,
                self.currency,
                self.discount,
                self.shipping_fee,
                self.points_used,
            )
        )
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


class LineBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(gt=0)
    unit_price: int = Field(ge=0, description="Minor units (yen)")
    description: str | None = Field(default=None, max_length=300)
    discount: int = Field(default=0, ge=0)


class OrderBody(BaseModel):
    """Body of ``POST /api/orders``. Amounts are integers in minor units (yen have none)."""

    model_config = ConfigDict(extra="forbid")

    order_number: str = Field(min_length=1, max_length=64)
    customer_id: str | None = Field(default=None, max_length=64)
    guest_email: str | None = Field(default=None, max_length=255)
    guest_phone: str | None = Field(default=None, max_length=40)
    channel: Literal["online", "app", "store", "phone"] = "online"
    status: Literal["placed", "paid", "shipped", "delivered", "cancelled"] = "placed"
    placed_at: AwareDatetime
    currency: str = Field(default="JPY", pattern="^[A-Z]{3}$")
    discount: int = Field(default=0, ge=0)
    shipping_fee: int = Field(default=0, ge=0)
    points_used: int = Field(default=0, ge=0)
    lines: list[LineBody] = Field(min_length=1, max_length=1000)

    def to_input(self, idempotency_key: str | None = None) -> OrderIn:
        """The validated ``OrderIn``; guest identities normalised (ValueError names the field)."""
        from kizuna.kit import jp

        email = _checked("guest_email", jp.normalise_email, self.guest_email)
        phone = _checked("guest_phone", jp.normalise_phone, self.guest_phone)
        lines = tuple(
            LineIn(
                ln.sku,
                ln.quantity,
                ln.unit_price,
                ln.unit_price * ln.quantity - ln.discount,
                ln.description,
                ln.discount,
            )
            for ln in self.lines
        )
        return OrderIn(
            order_number=self.order_number,
            placed_at=self.placed_at.astimezone(UTC),
            lines=lines,
            customer=self.customer_id,
            guest_email=email,
            guest_phone=phone,
            channel=self.channel,
            status=self.status,
            currency=self.currency,
            discount=self.discount,
            shipping_fee=self.shipping_fee,
            points_used=self.points_used,
            idempotency_key=idempotency_key,
        )


def _checked(name: str, parse: Callable[[str], str], value: str | None) -> str | None:
    from kizuna.kit.errors import ValidationFailed

    try:
        return parse(value) if value else None
    except ValueError as exc:
        raise ValidationFailed(str(exc), field=f"body.{name}") from None
