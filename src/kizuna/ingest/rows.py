"""Turning source rows into validated record inputs, one parser per import kind.

A parser reads one row at a time (``accept``) and raises ``RowProblem`` naming the kizuna field
and the reason; the importer reports it with the file row number and keeps going. Orders arrive
one line per row and are grouped by order number; returns are recognised by the preset.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from kizuna.catalog.models import STOCK_STATUSES, Brand, Category, Product
from kizuna.catalog.schemas import ProductIn
from kizuna.customers.identity import normalise_identity
from kizuna.customers.models import (
    CHANNELS,
    IDENTITY_KINDS,
    REGISTRATION_CHANNELS,
    Customer,
    Identity,
)
from kizuna.customers.schemas import CustomerIn
from kizuna.events.models import EVENT_TYPES, Event
from kizuna.events.schemas import EventIn
from kizuna.ingest import fields as f
from kizuna.ingest.presets import Preset
from kizuna.kit import jp
from kizuna.orders.models import ORDER_CHANNELS, ORDER_STATUSES, Order, OrderLine
from kizuna.orders.schemas import LineIn, OrderIn, ReturnIn


def _chars(column: Any) -> int:
    """How many characters a record column holds."""
    return int(column.type.length)


class RowProblem(ValueError):
    def __init__(self, column: str, reason: str) -> None:
        super().__init__(reason)
        self.column, self.reason = column, reason


@dataclass(frozen=True, slots=True)
class RowError:
    """A rejected row: file row number, the source column, and why."""

    row: int
    field: str
    reason: str


class RowParser:
    """Base: maps kizuna fields to positions in the row and reads them with named errors."""

    required: tuple[str, ...] = ()
    # Most characters each kizuna field's record column holds (PostgreSQL enforces them).
    limits: ClassVar[dict[str, int]] = {}

    def __init__(self, preset: Preset) -> None:
        self.preset = preset
        self.index: dict[str, int] = {}
        self.width = 0
        self.values: list[str] = []
        self.row = 0
        self.row_of: dict[str, int] = {}

    def bind(self, header: list[str] | None) -> list[str]:
        """Resolve column positions; returns the required fields the header lacks."""
        for name, source in self.preset.columns.items():
            if header is None:
                self.index[name] = int(source) - 1
            elif source in header:
                self.index[name] = header.index(source)
        self.width = len(header) if header is not None else max(self.index.values()) + 1
        self.checks = [(self.index[name], limit, self.preset.columns.get(name, name))
                       for name, limit in self.limits.items() if name in self.index]  # fmt: skip
        return [self.preset.columns.get(n, n) for n in self.required if n not in self.index]

    def get(self, name: str) -> str:
        position = self.index.get(name)
        return self.values[position].strip() if position is not None else ""

    def read(self, name: str, parse: Any, *args: Any) -> Any:
        text = self.get(name)
        try:
            return parse(text, *args)
        except ValueError as exc:
            raise RowProblem(self.preset.columns.get(name, name), str(exc)) from None

    def need(self, name: str) -> str:
        text = self.get(name)
        if not text:
            raise RowProblem(self.preset.columns.get(name, name), "is empty but required")
        return text

    def accept(self, values: list[str], row: int) -> None:
        if len(values) != self.width:
            self._check_width(values)
        for position, limit, column in self.checks:
            if len(values[position]) > limit and len(values[position].strip()) > limit:
                raise RowProblem(column, f"is {len(values[position].strip()):,} characters long; "
                                 f"at most {limit} fit")  # fmt: skip
        if "\x00" in "".join(values):
            raise RowProblem("(row)", "contains a NUL character: the file may be binary or UTF-16")
        self.values, self.row = values, row
        self.parse_row()

    def _check_width(self, values: list[str]) -> None:
        if len(values) < self.width:
            raise RowProblem("(row)", f"has {len(values)} fields, expected {self.width}")
        if any(value.strip() for value in values[self.width :]):
            raise RowProblem("(row)", f"has {len(values)} fields, expected {self.width} "
                             "(a value with an unquoted delimiter?)")  # fmt: skip

    def bounded(self, name: str, text: str) -> str:
        """``text`` (a normalised value of ``name``); RowProblem when its column cannot hold it."""
        limit = self.limits.get(name)
        if limit is not None and len(text) > limit:
            raise RowProblem(self.preset.columns.get(name, name),
                             f"is {len(text):,} characters long; at most {limit} fit")  # fmt: skip
        return text

    def parse_row(self) -> None:
        raise NotImplementedError

    def records(self) -> dict[str, list[Any]]:
        raise NotImplementedError


class OrderRows(RowParser):
    required = ("placed_at", "quantity")
    limits: ClassVar[dict[str, int]] = {
        "order_number": _chars(Order.order_number), "returns_order": _chars(Order.order_number),
        "customer": _chars(Customer.external_id), "guest_email": _chars(Order.guest_email),
        "sku": _chars(OrderLine.sku), "description": _chars(OrderLine.description),
        "country": _chars(Customer.country),
    }  # fmt: skip

    def __init__(self, preset: Preset) -> None:
        super().__init__(preset)
        self.groups: dict[str, tuple[dict[str, Any], list[LineIn]]] = {}
        self.subtotals: dict[str, int] = {}
        self.occurrences: dict[tuple[str, str], int] = {}

    def bind(self, header: list[str] | None) -> list[str]:
        missing = super().bind(header)
        if "unit_price" not in self.index and "amount" not in self.index:
            missing.append(self.preset.columns.get("unit_price", "unit_price"))
        return missing

    def parse_row(self) -> None:
        p = self.preset
        currency = self.read("currency", f.parse_currency) if self.get("currency") else p.currency
        placed_at = self.read("placed_at", f.parse_datetime, p.timezone)
        customer = self.get("customer")
        if p.numeric_customer_ids and customer.endswith(".0"):
            customer = customer[:-2]
        number = self.get("order_number") or self._synthetic_number(customer)
        is_return = self.get("record").lower() == "return" or bool(
            p.return_prefix and number.startswith(p.return_prefix)
        )
        quantity = self.read("quantity", f.parse_int)
        if is_return:
            quantity = abs(quantity)
        elif quantity <= 0:
            raise RowProblem(p.columns["quantity"], f"{quantity} is not a positive quantity "
                             "(only returns may be negative)")  # fmt: skip
        if "amount" in self.index:
            amount = self.read("amount", f.parse_money, currency)
            # half-up in integers (kit.money's rule); round() would round half to even
            unit_price = (2 * amount + quantity) // (2 * quantity) if quantity else amount
        else:
            unit_price = self.read("unit_price", f.parse_money, currency)
            amount = unit_price * quantity
        discount = self.read("line_discount", _money_or_zero, currency)
        if amount > f.MAX_INT or discount > amount:
            column = "line_discount" if amount <= f.MAX_INT else "quantity"
            raise RowProblem(p.columns.get(column, column), f"the line amount {amount:,} minus the "
                             f"discount {discount:,} is out of range")  # fmt: skip
        sku = self.get("sku") or p.default_sku or ""
        if not sku:
            raise RowProblem(p.columns.get("sku", "sku"), "is empty but required")
        subtotal = self.subtotals.get(number, 0) + amount - discount
        if subtotal > f.MAX_INT:
            raise RowProblem(p.columns["quantity"], f"order {number} would total more than "
                             f"{f.MAX_INT:,} minor units")  # fmt: skip
        self.subtotals[number] = subtotal
        line = LineIn(sku, quantity, unit_price, amount - discount, self.get("description") or None,
                      discount)  # fmt: skip
        group = self.groups.get(number)
        if group is None:
            head = self._order_head(customer, placed_at, currency, is_return)
            self.groups[number] = (head, [line])
        else:
            group[1].append(line)

    def _synthetic_number(self, customer: str) -> str:
        day = self.get("placed_at")
        key = (customer, day)
        count = self.occurrences.get(key, 0) + 1
        self.occurrences[key] = count
        return f"{self.preset.order_number_prefix}{customer}-{day}-{count}"

    def _order_head(self, customer: str, placed_at: Any, currency: str, is_return: bool) -> dict:
        head: dict[str, Any] = {
            "customer": customer or None, "placed_at": placed_at, "currency": currency,
            "is_return": is_return, "country": self.get("country") or None,
            "returns_order": self.get("returns_order") or None,
        }  # fmt: skip
        if is_return:
            return head
        for kind, name in (("email", "guest_email"), ("phone", "guest_phone")):
            text = self.get(name)
            if text:
                head[name] = _ident(self, name, kind, text)
        head["channel"] = self.read("channel", f.parse_choice, ORDER_CHANNELS, "online")
        head["status"] = self.read("status", f.parse_choice, ORDER_STATUSES, "placed")
        for name in ("discount", "shipping_fee", "points_used"):
            head[name] = self.read(name, _money_or_zero, currency)
        return head

    def records(self) -> dict[str, list[Any]]:
        orders, returns = [], []
        for number, (head, lines) in self.groups.items():
            if head.pop("is_return"):
                returns.append(ReturnIn(
                    return_number=number, returned_at=head["placed_at"], lines=tuple(lines),
                    order_number=head["returns_order"], customer=head["customer"],
                    country=head["country"], currency=head["currency"],
                ))  # fmt: skip
            else:
                head.pop("returns_order")
                orders.append(OrderIn(order_number=number, lines=tuple(lines), **head))
        return {"orders": orders, "returns": returns}


def _ident(parser: RowParser, name: str, kind: str, text: str) -> str:
    try:
        return normalise_identity(kind, text)
    except ValueError as exc:
        raise RowProblem(parser.preset.columns.get(name, name), str(exc)) from None


def _money_or_zero(text: str, currency: str) -> int:
    return f.parse_money(text, currency) if text else 0


def _date_or_none(text: str) -> Any:
    return f.parse_date(text) if text else None


class CustomerRows(RowParser):
    required = ("customer_id",)
    limits: ClassVar[dict[str, int]] = {
        "customer_id": _chars(Customer.external_id), "family_name": _chars(Customer.family_name),
        "given_name": _chars(Customer.given_name), "family_kana": _chars(Customer.family_kana),
        "given_kana": _chars(Customer.given_kana), "occupation": _chars(Customer.occupation),
        **{kind: _chars(Identity.value) for kind in IDENTITY_KINDS},
    }  # fmt: skip

    def __init__(self, preset: Preset) -> None:
        super().__init__(preset)
        self.items: list[CustomerIn] = []

    def parse_row(self) -> None:
        identities = tuple(
            (kind, _ident(self, kind, kind, self.get(kind)))
            for kind in IDENTITY_KINDS
            if self.get(kind)
        )
        consents = tuple(
            (channel, self.read(f"consent_{channel}", f.parse_bool))
            for channel in CHANNELS
            if self.get(f"consent_{channel}")
        )
        registered = self.get("registered_at")
        external_id = self.need("customer_id")
        self.row_of[external_id] = self.row
        self.items.append(CustomerIn(
            external_id=external_id,
            is_member=self.read("is_member", f.parse_bool) if self.get("is_member") else True,
            family_name=self.get("family_name") or None,
            given_name=self.get("given_name") or None,
            family_kana=self.kana("family_kana"),
            given_kana=self.kana("given_kana"),
            birth_date=self.read("birth_date", _date_or_none),
            gender=self.read("gender", f.parse_gender),
            prefecture=self.read("prefecture", _optional(jp.normalise_prefecture)),
            postal_code=self.read("postal_code", _optional(jp.normalise_postal_code)),
            occupation=self.get("occupation") or None,
            registered_at=self.read("registered_at", f.parse_datetime, self.preset.timezone)
            if registered else None,
            registration_channel=self.read(
                "registration_channel", f.parse_choice, REGISTRATION_CHANNELS, "online"),
            marketing_status=_marketing_status(consents),
            attributes=self.read("attributes", f.parse_json_object),
            identities=identities,
            consents=consents,
        ))  # fmt: skip

    def kana(self, name: str) -> str | None:
        """The field in full-width katakana; bounds rechecked, since normalising can lengthen it."""
        return self.bounded(name, jp.to_katakana(self.get(name))) or None

    def records(self) -> dict[str, list[Any]]:
        return {"customers": self.items}


def _marketing_status(consents: tuple[tuple[str, bool], ...]) -> str:
    if not consents:
        return "never_asked"
    return "subscribed" if any(granted for _, granted in consents) else "unsubscribed"


def _optional(parse: Any) -> Any:
    return lambda text: parse(text) if text else None


class ProductRows(RowParser):
    required = ("sku",)
    limits: ClassVar[dict[str, int]] = {
        "sku": _chars(Product.sku), "name": _chars(Product.name),
        "category_code": _chars(Category.code), "category_name": _chars(Category.name),
        "brand_code": _chars(Brand.code), "brand_name": _chars(Brand.name),
    }  # fmt: skip

    def __init__(self, preset: Preset) -> None:
        super().__init__(preset)
        self.items: list[ProductIn] = []

    def parse_row(self) -> None:
        currency = (self.read("currency", f.parse_currency) if self.get("currency")
                    else self.preset.currency)  # fmt: skip
        self.items.append(ProductIn(
            sku=self.need("sku"), name=self.get("name"),
            category_code=self.get("category_code") or None,
            category_name=self.get("category_name") or None,
            brand_code=self.get("brand_code") or None, brand_name=self.get("brand_name") or None,
            price=self.read("price", _money_or_zero, currency), currency=currency,
            launch_date=self.read("launch_date", _date_or_none),
            stock_status=self.read("stock_status", f.parse_choice, STOCK_STATUSES, "in_stock"),
        ))  # fmt: skip

    def records(self) -> dict[str, list[Any]]:
        return {"products": self.items}


class EventRows(RowParser):
    required = ("event_id", "type", "occurred_at")
    limits: ClassVar[dict[str, int]] = {
        "event_id": _chars(Event.event_key), "customer": _chars(Customer.external_id),
        "anonymous_id": _chars(Event.anonymous_id), "sku": _chars(Event.sku),
    }  # fmt: skip

    def __init__(self, preset: Preset) -> None:
        super().__init__(preset)
        self.items: list[EventIn] = []

    def parse_row(self) -> None:
        self.items.append(EventIn(
            event_key=self.need("event_id"),
            type=self.read("type", f.parse_choice, EVENT_TYPES, ""),
            occurred_at=self.read("occurred_at", f.parse_datetime, self.preset.timezone),
            customer=self.get("customer") or None,
            anonymous_id=self.get("anonymous_id") or None,
            sku=self.get("sku") or None,
            properties=self.read("properties", f.parse_json_object),
        ))  # fmt: skip

    def records(self) -> dict[str, list[Any]]:
        return {"events": self.items}


PARSERS: dict[str, type[RowParser]] = {
    "orders": OrderRows, "customers": CustomerRows, "products": ProductRows, "events": EventRows,
}  # fmt: skip
