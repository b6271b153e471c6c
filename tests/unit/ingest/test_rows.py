"""Row parsers: source rows to validated record inputs, or a RowProblem naming column and reason."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import ClassVar

import pytest

from kizuna.ingest.presets import load_preset
from kizuna.ingest.rows import PARSERS, RowParser, RowProblem
from kizuna.orders.schemas import LineIn

CUSTOMER_HEADER = [
    "customer_id",
    "family_name",
    "given_name",
    "family_kana",
    "given_kana",
    "email",
    "phone",
    "gender",
    "prefecture",
    "postal_code",
    "birth_date",
    "registration_channel",
    "consent_email",
    "consent_sms",
    "attributes",
]
ORDER_HEADER = [
    "order_number",
    "record",
    "returns_order",
    "customer_id",
    "guest_email",
    "channel",
    "status",
    "placed_at",
    "currency",
    "sku",
    "quantity",
    "unit_price",
    "line_discount",
]


def _parser(kind: str, header: list[str] | None, preset: str | None = None) -> RowParser:
    parser = PARSERS[kind](load_preset(kind, preset))
    assert parser.bind(header) == []
    return parser


def _customer_row(**overrides: str) -> list[str]:
    values = {
        "customer_id": "C1",
        "family_name": "山田",
        "given_name": "太郎",
        "family_kana": "やまだ",
        "given_kana": "ﾀﾛｳ",
        "email": "ＴＡＲＯ@Example.JP",
        "phone": "+81 90-1234-5678",
        "gender": "男",
        "prefecture": "東京",
        "postal_code": "１５０－０００１",
        "birth_date": "1990/4/1",
        "registration_channel": "store",
        "consent_email": "1",
        "consent_sms": "0",
        "attributes": '{"会員ランク": "gold"}',
    } | overrides
    return [values[column] for column in CUSTOMER_HEADER]


def _order_row(**overrides: str) -> list[str]:
    values = {
        "order_number": "A-1",
        "record": "",
        "returns_order": "",
        "customer_id": "C1",
        "guest_email": "",
        "channel": "online",
        "status": "paid",
        "placed_at": "2024-01-05 10:00",
        "currency": "",
        "sku": "BEAN-1",
        "quantity": "2",
        "unit_price": "1800",
        "line_discount": "",
    } | overrides
    return [values[column] for column in ORDER_HEADER]


def _problem(parser: RowParser, values: list[str]) -> tuple[str, str]:
    with pytest.raises(RowProblem) as caught:
        parser.accept(values, 2)
    return caught.value.column, caught.value.reason


class TestBind:
    def test_missing_required_columns_are_named_by_source_column(self) -> None:
        parser = PARSERS["events"](load_preset("events", None))
        assert parser.bind(["event_id", "customer_id"]) == ["type", "occurred_at"]

    def test_orders_need_a_unit_price_or_an_amount(self) -> None:
        parser = PARSERS["orders"](load_preset("orders", None))
        assert parser.bind(["order_number", "placed_at", "quantity", "sku"]) == ["unit_price"]

    def test_headerless_preset_binds_positions(self) -> None:
        parser = PARSERS["orders"](load_preset("orders", "cdnow-sample"))
        assert parser.bind(None) == []
        assert parser.index == {"customer": 0, "placed_at": 2, "quantity": 3, "amount": 4}


class TestCustomerRows:
    def test_a_row_is_normalised_into_a_customer(self) -> None:
        # given a customer row with every field in a typical Japanese export's spelling
        parser = _parser("customers", CUSTOMER_HEADER)
        # when accepted
        parser.accept(_customer_row(), 2)
        # then the record is normalised
        (item,) = parser.records()["customers"]
        assert (item.family_kana, item.given_kana) == ("ヤマダ", "タロウ")
        assert item.identities == (("email", "taro@example.jp"), ("phone", "09012345678"))
        assert (item.prefecture, item.postal_code) == ("東京都", "150-0001")
        assert (item.gender, item.birth_date) == ("male", date(1990, 4, 1))
        assert item.consents == (("email", True), ("sms", False))
        assert item.marketing_status == "subscribed"
        assert item.registration_channel == "store"
        assert item.attributes == {"会員ランク": "gold"}
        assert parser.row_of == {"C1": 2}

    @pytest.mark.parametrize(
        ("overrides", "column", "reason"),
        [
            pytest.param(
                {"customer_id": ""}, "customer_id", "is empty but required", id="missing_id"
            ),
            pytest.param(
                {"email": "taro.example.jp"},
                "email",
                "'taro.example.jp' is not an email address",
                id="bad_email",
            ),
            pytest.param(
                {"phone": "12-34"},
                "phone",
                "'12-34' is not a phone number (10 or 11 digits)",
                id="bad_phone",
            ),
            pytest.param(
                {"prefecture": "Texas"},
                "prefecture",
                "'Texas' is not a Japanese prefecture",
                id="bad_prefecture",
            ),
            pytest.param(
                {"postal_code": "150-01"},
                "postal_code",
                "'150-01' is not a postal code (7 digits, e.g. 150-0001)",
                id="bad_postal_code",
            ),
            pytest.param(
                {"gender": "X"},
                "gender",
                "'X' is not a gender (female, male, other or unknown)",
                id="bad_gender",
            ),
            pytest.param(
                {"registration_channel": "web"},
                "registration_channel",
                "'web' is not one of online, app, store, phone, import",
                id="bad_registration_channel",
            ),
            pytest.param(
                {"birth_date": "1990-02-30"},
                "birth_date",
                "'1990-02-30' is not a date (use YYYY-MM-DD)",
                id="bad_birth_date",
            ),
            pytest.param(
                {"consent_email": "maybe"},
                "consent_email",
                "'maybe' is not yes/no (use 1 or 0)",
                id="bad_consent",
            ),
            pytest.param(
                {"attributes": "{broken"},
                "attributes",
                "not valid JSON: Expecting property name enclosed in double quotes at character 1",
                id="malformed_json",
            ),
            pytest.param(
                {"family_name": "山" * 81},
                "family_name",
                "is 81 characters long; at most 80 fit",
                id="name_too_long",
            ),
            pytest.param(
                {"family_kana": "ｱ" * 78 + "㌀"},
                "family_kana",
                "is 82 characters long; at most 80 fit",
                id="kana_too_long_once_normalised",
            ),
            pytest.param(
                {"family_name": "山\x00田"},
                "(row)",
                "contains a NUL character: the file may be binary or UTF-16",
                id="nul_character",
            ),
        ],
    )
    def test_bad_values_name_the_column_and_reason(
        self, overrides: dict[str, str], column: str, reason: str
    ) -> None:
        parser = _parser("customers", CUSTOMER_HEADER)
        assert _problem(parser, _customer_row(**overrides)) == (column, reason)
        assert parser.records()["customers"] == []

    def test_short_row_is_refused(self) -> None:
        parser = _parser("customers", CUSTOMER_HEADER)
        assert _problem(parser, ["C1", "山田"]) == ("(row)", "has 2 fields, expected 15")

    def test_extra_values_beyond_the_header_are_refused(self) -> None:
        # given a name with an unquoted comma, which shifts every later column
        parser = _parser("customers", CUSTOMER_HEADER)
        row = _customer_row()
        row[1:2] = ["山田", "様"]
        assert _problem(parser, row) == (
            "(row)",
            "has 16 fields, expected 15 (a value with an unquoted delimiter?)",
        )

    def test_empty_trailing_fields_are_tolerated(self) -> None:
        parser = _parser("customers", CUSTOMER_HEADER)
        parser.accept([*_customer_row(), "", " "], 2)
        assert len(parser.records()["customers"]) == 1


class TestOrderRows:
    def test_lines_are_grouped_by_order_number(self) -> None:
        parser = _parser("orders", ORDER_HEADER)
        parser.accept(_order_row(), 2)
        parser.accept(
            _order_row(sku="CUP-1", quantity="1", unit_price="2,500", line_discount="500"), 3
        )
        (order,) = parser.records()["orders"]
        assert order.order_number == "A-1"
        assert order.placed_at == datetime(2024, 1, 5, 1, tzinfo=UTC)
        assert (order.channel, order.status, order.currency) == ("online", "paid", "JPY")
        assert order.lines == (
            LineIn("BEAN-1", 2, 1800, 3600, None, 0),
            LineIn("CUP-1", 1, 2500, 2000, None, 500),
        )
        assert order.subtotal == 5600

    def test_a_return_row_keeps_its_quantity_positive(self) -> None:
        parser = _parser("orders", ORDER_HEADER)
        parser.accept(
            _order_row(order_number="R-1", record="return", returns_order="A-1", quantity="-2"), 2
        )
        records = parser.records()
        assert records["orders"] == []
        (ret,) = records["returns"]
        assert (ret.return_number, ret.order_number, ret.amount) == ("R-1", "A-1", 3600)
        assert ret.lines[0].quantity == 2

    def test_guest_email_is_normalised(self) -> None:
        parser = _parser("orders", ORDER_HEADER)
        parser.accept(_order_row(customer_id="", guest_email="ＴＡＲＯ@EXAMPLE.JP"), 2)
        assert parser.records()["orders"][0].guest_email == "taro@example.jp"

    @pytest.mark.parametrize(
        ("overrides", "column", "reason"),
        [
            pytest.param(
                {"quantity": "-1"},
                "quantity",
                "-1 is not a positive quantity (only returns may be negative)",
                id="negative_quantity",
            ),
            pytest.param(
                {"quantity": "0"},
                "quantity",
                "0 is not a positive quantity (only returns may be negative)",
                id="zero_quantity",
            ),
            pytest.param(
                {"quantity": "two"}, "quantity", "'two' is not a whole number", id="words_quantity"
            ),
            pytest.param(
                {"unit_price": "-5"},
                "unit_price",
                "'-5' is negative; amounts must be 0 or more",
                id="negative_price",
            ),
            pytest.param(
                {"placed_at": "2024-13-01"},
                "placed_at",
                "'2024-13-01' is not a date-time (use YYYY-MM-DD HH:MM:SS)",
                id="bad_date",
            ),
            pytest.param(
                {"channel": "web"},
                "channel",
                "'web' is not one of online, app, store, phone",
                id="unknown_channel",
            ),
            pytest.param(
                {"status": "refunded"},
                "status",
                "'refunded' is not one of placed, paid, shipped, delivered, cancelled",
                id="unknown_status",
            ),
            pytest.param(
                {"currency": "YEN!"},
                "currency",
                "'YEN!' is not a currency code (three letters, e.g. JPY)",
                id="bad_currency",
            ),
            pytest.param({"sku": ""}, "sku", "is empty but required", id="missing_sku"),
            pytest.param(
                {"line_discount": "4000"},
                "line_discount",
                "the line amount 3,600 minus the discount 4,000 is out of range",
                id="discount_above_amount",
            ),
            pytest.param(
                {"quantity": "2000", "unit_price": "2000000"},
                "quantity",
                "the line amount 4,000,000,000 minus the discount 0 is out of range",
                id="line_amount_beyond_32_bits",
            ),
            pytest.param(
                {"guest_email": "nobody"},
                "guest_email",
                "'nobody' is not an email address",
                id="bad_guest_email",
            ),
        ],
    )
    def test_bad_values_name_the_column_and_reason(
        self, overrides: dict[str, str], column: str, reason: str
    ) -> None:
        parser = _parser("orders", ORDER_HEADER)
        assert _problem(parser, _order_row(**overrides)) == (column, reason)

    def test_an_order_whose_lines_would_overflow_is_refused_at_that_line(self) -> None:
        parser = _parser("orders", ORDER_HEADER)
        parser.accept(_order_row(quantity="1", unit_price="2000000000"), 2)
        column, reason = _problem(parser, _order_row(quantity="1", unit_price="200000000"))
        assert (column, reason) == (
            "quantity",
            "order A-1 would total more than 2,147,483,647 minor units",
        )
        assert parser.records()["orders"][0].subtotal == 2_000_000_000

    def test_cdnow_amount_gives_the_unit_price_and_a_synthetic_number(self) -> None:
        parser = _parser("orders", None, "cdnow-sample")
        parser.accept(["00001", "00001", "19970101", "2", "29.33"], 1)
        parser.accept(["00001", "00001", "19970101", "1", "11.77"], 2)
        first, second = parser.records()["orders"]
        assert (first.order_number, second.order_number) == (
            "cdnow-00001-19970101-1",
            "cdnow-00001-19970101-2",
        )
        # $29.33 for 2 CDs: the unit price rounds half up, as everywhere in kizuna
        assert first.lines == (LineIn("CD", 2, 1467, 2933, None, 0),)
        assert (first.currency, first.customer) == ("USD", "00001")


class TestEventRows:
    HEADER: ClassVar[list[str]] = [
        "event_id",
        "customer_id",
        "type",
        "occurred_at",
        "sku",
        "properties",
    ]

    def test_an_event(self) -> None:
        parser = _parser("events", self.HEADER)
        parser.accept(
            ["e1", "C1", "product_view", "2024-01-05 10:00", "BEAN-1", '{"ref": "line"}'], 2
        )
        (event,) = parser.records()["events"]
        assert (event.event_key, event.type, event.customer, event.sku) == (
            "e1",
            "product_view",
            "C1",
            "BEAN-1",
        )
        assert event.properties == {"ref": "line"}

    @pytest.mark.parametrize(
        ("values", "column", "reason"),
        [
            pytest.param(
                ["e1", "C1", "purchase", "2024-01-05", "", ""],
                "type",
                "'purchase' is not one of page_view, product_view, search, cart_add, "
                "cart_remove, checkout_start, login, email_open, email_click",
                id="unknown_type",
            ),
            pytest.param(
                ["e1", "C1", "login", "2024-01-05", "", "[1]"],
                "properties",
                'must be a JSON object like {"key": "value"}',
                id="properties_not_object",
            ),
            pytest.param(
                ["", "C1", "login", "2024-01-05", "", ""],
                "event_id",
                "is empty but required",
                id="missing_id",
            ),
            pytest.param(
                ["e" * 129, "C1", "login", "2024-01-05", "", ""],
                "event_id",
                "is 129 characters long; at most 128 fit",
                id="id_too_long",
            ),
        ],
    )
    def test_bad_values(self, values: list[str], column: str, reason: str) -> None:
        assert _problem(_parser("events", self.HEADER), values) == (column, reason)


class TestProductRows:
    HEADER: ClassVar[list[str]] = [
        "sku",
        "name",
        "category_code",
        "category_name",
        "price",
        "currency",
        "launch_date",
        "stock_status",
    ]

    def test_a_product(self) -> None:
        parser = _parser("products", self.HEADER)
        parser.accept(
            ["BEAN-1", "珈琲豆", "coffee", "コーヒー", "1,800", "", "2024-03-01", "low_stock"], 2
        )
        (item,) = parser.records()["products"]
        assert (item.sku, item.name, item.price, item.currency) == ("BEAN-1", "珈琲豆", 1800, "JPY")
        assert (item.launch_date, item.stock_status) == (date(2024, 3, 1), "low_stock")

    def test_unknown_stock_status(self) -> None:
        values = ["BEAN-1", "珈琲豆", "", "", "1800", "", "", "sold"]
        assert _problem(_parser("products", self.HEADER), values) == (
            "stock_status",
            "'sold' is not one of in_stock, low_stock, out_of_stock, discontinued",
        )
