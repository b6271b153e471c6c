"""Bad input: each problem gets a clear error (file row, column, reason, or exit 2 for an unusable
file), the good rows are kept, and nothing already stored is lost or changed."""

from __future__ import annotations

import csv
import gzip
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from kizuna.customers.models import Customer, Identity
from kizuna.events.models import Event
from kizuna.ingest.csv_import import import_file
from kizuna.kit.db import session_scope
from kizuna.kit.errors import UnusableInput
from kizuna.orders.models import Order, OrderLine

CUSTOMERS = [
    "customer_id",
    "family_name",
    "given_name",
    "email",
    "phone",
    "gender",
    "prefecture",
    "postal_code",
    "attributes",
]
ORDERS = [
    "order_number",
    "customer_id",
    "channel",
    "status",
    "placed_at",
    "sku",
    "quantity",
    "unit_price",
]
EVENTS = ["event_id", "customer_id", "type", "occurred_at", "properties"]
HEADERS = {"customers": CUSTOMERS, "orders": ORDERS, "events": EVENTS}
GOOD = {
    "customers": [
        [
            "C1",
            "山田",
            "太郎",
            "taro@example.jp",
            "090-1234-5678",
            "male",
            "東京都",
            "150-0001",
            '{"rank": "gold"}',
        ],
        [
            "C2",
            "佐藤",
            "花子",
            "hanako@example.jp",
            "080-1111-2222",
            "female",
            "大阪府",
            "530-0001",
            "",
        ],
    ],
    "orders": [
        ["A-1", "C1", "online", "paid", "2024-01-05 10:00", "BEAN-1", "2", "1800"],
        ["A-2", "C2", "store", "delivered", "2024-02-01 12:00", "CUP-1", "1", "2500"],
    ],
    "events": [
        ["e1", "C1", "product_view", "2024-01-05 09:55", '{"sku": "BEAN-1"}'],
        ["e2", "C2", "login", "2024-02-01 11:00", ""],
    ],
}
# One more good row per kind, to show that good rows beside a bad one are kept.
FRESH = {
    "customers": ["C3", "鈴木", "一郎", "ichiro@example.jp", "", "", "", "", ""],
    "orders": ["A-3", "C3", "app", "placed", "2024-03-01 08:00", "BEAN-1", "1", "1800"],
    "events": ["e3", "C3", "cart_add", "2024-03-01 07:59", ""],
}


def write_csv(
    path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8"
) -> Path:
    with path.open("w", newline="", encoding=encoding) as out:
        writer = csv.writer(out)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run_import(sessions: sessionmaker[Session], kind: str, path: Path) -> dict[str, Any]:
    with session_scope(sessions) as session:
        return import_file(session, kind, path).to_dict()


def snapshot(sessions: sessionmaker[Session]) -> dict[str, list[tuple]]:
    """Every stored record that an import writes, as plain tuples."""
    queries = {
        "customers": select(
            Customer.external_id,
            Customer.family_name,
            Customer.given_name,
            Customer.gender,
            Customer.prefecture,
            Customer.postal_code,
            Customer.attributes,
            Customer.content_hash,
            Customer.updated_at,
        ),
        "identities": select(Identity.customer_id, Identity.kind, Identity.value),
        "orders": select(
            Order.order_number,
            Order.customer_id,
            Order.channel,
            Order.status,
            Order.placed_at,
            Order.total,
            Order.content_hash,
        ),
        "lines": select(
            OrderLine.order_id,
            OrderLine.line_no,
            OrderLine.sku,
            OrderLine.quantity,
            OrderLine.amount,
        ),
        "events": select(
            Event.event_key, Event.customer_id, Event.type, Event.occurred_at, Event.properties
        ),
    }
    with session_scope(sessions) as s:
        return {name: sorted(map(tuple, s.execute(q)), key=repr) for name, q in queries.items()}


def lost_or_changed(before: dict[str, list[tuple]], after: dict[str, list[tuple]]) -> dict:
    """Rows of ``before`` that ``after`` no longer has, by table (empty when nothing was lost)."""
    gone = {name: [row for row in rows if row not in after[name]] for name, rows in before.items()}
    return {name: rows for name, rows in gone.items() if rows}


@pytest.fixture
def stored(sessions: sessionmaker[Session], tmp_path: Path) -> dict[str, list[tuple]]:
    """Good customers, orders and events already imported; their snapshot."""
    for kind, rows in GOOD.items():
        report = run_import(
            sessions, kind, write_csv(tmp_path / f"good-{kind}.csv", HEADERS[kind], rows)
        )
        assert (report["exit_code"], report["rejected"]) == (0, 0)
    before = snapshot(sessions)
    assert [len(before[name]) for name in ("customers", "orders", "events")] == [2, 2, 2]
    return before


class TestTruncatedFile:
    def test_csv_cut_inside_a_quoted_value_rejects_that_row_only(
        self, sessions: sessionmaker[Session], stored: dict, tmp_path: Path
    ) -> None:
        # given a customers file whose last row was cut inside a quoted value
        path = write_csv(tmp_path / "cut.csv", CUSTOMERS, [FRESH["customers"]])
        path.write_text(path.read_text(encoding="utf-8") + 'C4,"佐', encoding="utf-8")
        # when imported
        report = run_import(sessions, "customers", path)
        # then the cut row is reported, the complete row kept, and nothing stored is lost
        assert report["errors"] == [
            {
                "row": 3,
                "field": "(row)",
                "reason": "unreadable CSV row: "
                "a quoted value is still open at the end of the file "
                "(truncated?)",
            }
        ]
        assert report["exit_code"] == 1
        assert report["records"]["customers"] == {"inserted": 1, "updated": 0, "unchanged": 0}
        after = snapshot(sessions)
        assert lost_or_changed(stored, after) == {}
        assert [row[0] for row in after["customers"]] == ["C1", "C2", "C3"]

    def test_csv_cut_between_fields_rejects_that_row_only(
        self, sessions: sessionmaker[Session], stored: dict, tmp_path: Path
    ) -> None:
        path = write_csv(tmp_path / "cut.csv", ORDERS, [FRESH["orders"]])
        path.write_text(path.read_text(encoding="utf-8") + "A-4,C1,online", encoding="utf-8")
        report = run_import(sessions, "orders", path)
        assert report["errors"] == [
            {"row": 3, "field": "(row)", "reason": "has 3 fields, expected 8"}
        ]
        assert report["records"]["orders"] == {"inserted": 1, "updated": 0, "unchanged": 0}
        assert lost_or_changed(stored, snapshot(sessions)) == {}

    def test_csv_cut_inside_a_character_is_unusable_and_writes_nothing(
        self, sessions: sessionmaker[Session], stored: dict, tmp_path: Path
    ) -> None:
        path = write_csv(tmp_path / "cut.csv", CUSTOMERS, [FRESH["customers"], ["C4", "佐藤"]])
        path.write_bytes(path.read_bytes().rstrip()[:-1])  # half of 藤's three UTF-8 bytes
        with pytest.raises(UnusableInput) as caught:
            run_import(sessions, "customers", path)
        assert caught.value.message == (
            "the file ends in the middle of a utf-8 character: it is truncated"
        )
        assert snapshot(sessions) == stored

    def test_truncated_gzip_is_unusable_and_writes_nothing(
        self, sessions: sessionmaker[Session], stored: dict, tmp_path: Path
    ) -> None:
        # given a gzip whose first rows are fine but which stops half-way (interrupted download)
        rows = [[f"E{i}", f"C{i % 50}", "page_view", "2024-01-05 10:00", ""] for i in range(30_000)]
        whole = gzip.compress(write_csv(tmp_path / "e.csv", EVENTS, rows).read_bytes())
        path = tmp_path / "events.csv.gz"
        path.write_bytes(whole[: len(whole) // 2])
        # when imported, then the whole file is refused and nothing of it is stored
        with pytest.raises(UnusableInput) as caught:
            run_import(sessions, "events", path)
        assert caught.value.message == (
            "the file is truncated or corrupt: Compressed file ended "
            "before the end-of-stream marker was reached"
        )
        assert snapshot(sessions) == stored

    @pytest.mark.parametrize(
        ("content", "message"),
        [
            pytest.param(b"\x1f\x8b\x08", "cannot be read", id="cut_inside_the_gzip_header"),
            pytest.param(
                b"customer_id\nC9\n", "cannot be read: Not a gzipped file", id="plain_text_named_gz"
            ),
        ],
    )
    def test_unreadable_gzip_is_unusable(
        self,
        sessions: sessionmaker[Session],
        stored: dict,
        tmp_path: Path,
        content: bytes,
        message: str,
    ) -> None:
        path = tmp_path / "customers.csv.gz"
        path.write_bytes(content)
        with pytest.raises(UnusableInput, match=message):
            run_import(sessions, "customers", path)
        assert snapshot(sessions) == stored


class TestWrongColumns:
    @pytest.mark.parametrize(
        ("kind", "text", "message", "field"),
        [
            pytest.param(
                "customers",
                "id,name,mail\nC9,山田,a@example.jp\n",
                "required column(s) customer_id missing; the header has: id, name, mail",
                "customer_id",
                id="customers_renamed_id",
            ),
            pytest.param(
                "events",
                "event_id,customer_id\ne9,C1\n",
                "required column(s) type, occurred_at missing; the header has: "
                "event_id, customer_id",
                "type",
                id="events_two_missing",
            ),
            pytest.param(
                "orders",
                "order_number;placed_at;quantity;unit_price\nA;2024-01-01;1;1\n",
                "required column(s) placed_at, quantity, unit_price missing; the header "
                "has: order_number;placed_at;quantity;unit_price",
                "placed_at",
                id="orders_semicolon_delimited",
            ),
            pytest.param(
                "orders",
                "InvoiceNo,Quantity,InvoiceDate\n1,1,2024-01-01\n",
                "required column(s) placed_at, quantity, unit_price missing; the header "
                "has: InvoiceNo, Quantity, InvoiceDate",
                "placed_at",
                id="orders_another_shops_export",
            ),
        ],
    )
    def test_missing_columns_are_named_with_the_header_found(
        self,
        sessions: sessionmaker[Session],
        stored: dict,
        tmp_path: Path,
        kind: str,
        text: str,
        message: str,
        field: str,
    ) -> None:
        path = tmp_path / "wrong.csv"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(UnusableInput) as caught:
            run_import(sessions, kind, path)
        assert caught.value.to_dict() == {
            "code": "unusable_input",
            "message": message,
            "field": field,
            "row": 1,
        }
        assert snapshot(sessions) == stored

    def test_empty_file_is_unusable(
        self, sessions: sessionmaker[Session], stored: dict, tmp_path: Path
    ) -> None:
        path = tmp_path / "empty.csv"
        path.write_bytes(b"")
        with pytest.raises(UnusableInput) as caught:
            run_import(sessions, "customers", path)
        assert caught.value.message == "the file is empty: no header row"
        assert snapshot(sessions) == stored


BAD_ROWS = [
    pytest.param(
        "orders",
        {"placed_at": "2024-02-30 10:00"},
        "placed_at",
        "'2024-02-30 10:00' is not a date-time (use YYYY-MM-DD HH:MM:SS)",
        id="order_bad_date",
    ),
    pytest.param(
        "orders",
        {"placed_at": "05/01/2024"},
        "placed_at",
        "'05/01/2024' is not a date-time (use YYYY-MM-DD HH:MM:SS)",
        id="order_day_first_date",
    ),
    pytest.param(
        "events",
        {"occurred_at": "昨日"},
        "occurred_at",
        "'昨日' is not a date-time (use YYYY-MM-DD HH:MM:SS)",
        id="event_bad_date",
    ),
    pytest.param(
        "orders",
        {"quantity": "-2"},
        "quantity",
        "-2 is not a positive quantity (only returns may be negative)",
        id="negative_quantity",
    ),
    pytest.param(
        "orders",
        {"unit_price": "-1800"},
        "unit_price",
        "'-1800' is negative; amounts must be 0 or more",
        id="negative_price",
    ),
    pytest.param(
        "orders",
        {"quantity": "99999999999"},
        "quantity",
        "'99999999999' is too large (at most 2,147,483,647)",
        id="quantity_overflow",
    ),
    pytest.param(
        "orders",
        {"channel": "web"},
        "channel",
        "'web' is not one of online, app, store, phone",
        id="unknown_channel",
    ),
    pytest.param(
        "orders",
        {"status": "refunded"},
        "status",
        "'refunded' is not one of placed, paid, shipped, delivered, cancelled",
        id="unknown_status",
    ),
    pytest.param(
        "customers",
        {"gender": "X"},
        "gender",
        "'X' is not a gender (female, male, other or unknown)",
        id="unknown_gender",
    ),
    pytest.param(
        "events",
        {"type": "purchase"},
        "type",
        "'purchase' is not one of page_view, product_view, search, cart_add, "
        "cart_remove, checkout_start, login, email_open, email_click",
        id="unknown_event_type",
    ),
    pytest.param(
        "customers",
        {"attributes": '{"rank": gold}'},
        "attributes",
        "not valid JSON: Expecting value at character 9",
        id="malformed_attributes",
    ),
    pytest.param(
        "events",
        {"properties": '{"sku": "BEAN-1"'},
        "properties",
        "not valid JSON: Expecting ',' delimiter at character 16",
        id="malformed_properties",
    ),
    pytest.param(
        "events",
        {"properties": '["BEAN-1"]'},
        "properties",
        'must be a JSON object like {"key": "value"}',
        id="properties_not_an_object",
    ),
    pytest.param(
        "customers",
        {"email": "ichiro@example"},
        "email",
        "'ichiro@example' is not an email address",
        id="bad_email",
    ),
    pytest.param(
        "customers",
        {"phone": "090-1234"},
        "phone",
        "'090-1234' is not a phone number (10 or 11 digits)",
        id="bad_phone",
    ),
    pytest.param(
        "customers",
        {"prefecture": "東京府"},
        "prefecture",
        "'東京府' is not a Japanese prefecture",
        id="bad_prefecture",
    ),
    pytest.param(
        "customers",
        {"postal_code": "150-00001"},
        "postal_code",
        "'150-00001' is not a postal code (7 digits, e.g. 150-0001)",
        id="bad_postal_code",
    ),
    pytest.param(
        "customers",
        {"family_name": "鈴" * 100_000},
        "family_name",
        "is 100,000 characters long; at most 80 fit",
        id="field_too_long_for_column",
    ),
    pytest.param(
        "customers",
        {"family_name": "鈴\x00木"},
        "(row)",
        "contains a NUL character: the file may be binary or UTF-16",
        id="nul_byte",
    ),
]


class TestBadValues:
    @pytest.mark.parametrize(("kind", "change", "column", "reason"), BAD_ROWS)
    def test_bad_row_is_reported_and_the_rest_kept(
        self,
        sessions: sessionmaker[Session],
        stored: dict,
        tmp_path: Path,
        kind: str,
        change: dict[str, str],
        column: str,
        reason: str,
    ) -> None:
        # given a file with a good new row, then a row with one bad value
        header = HEADERS[kind]
        bad = [change.get(name, value) for name, value in zip(header, FRESH[kind], strict=True)]
        bad[0] += "-bad"
        path = write_csv(tmp_path / f"{kind}.csv", header, [FRESH[kind], bad])
        # when imported
        report = run_import(sessions, kind, path)
        # then the bad row is reported by file row, column and reason; the good row is stored
        assert report["errors"] == [{"row": 3, "field": column, "reason": reason}]
        assert (report["rows"], report["rejected"], report["exit_code"]) == (2, 1, 1)
        assert report["records"][kind] == {"inserted": 1, "updated": 0, "unchanged": 0}
        after = snapshot(sessions)
        assert lost_or_changed(stored, after) == {}
        assert {row[0] for row in after[kind]} == {g[0] for g in GOOD[kind]} | {FRESH[kind][0]}


class TestHugeField:
    def test_a_10_mb_field_rejects_its_row_and_keeps_the_others(
        self, sessions: sessionmaker[Session], stored: dict, tmp_path: Path
    ) -> None:
        # given a customers file whose second row carries 10 MB of attributes
        huge = '{"notes": "' + "x" * 10_000_000 + '"}'
        rows = [
            FRESH["customers"],
            ["C4", "高橋", "", "", "", "", "", "", huge],
            ["C5", "田中", "", "", "", "", "", "", ""],
        ]
        path = write_csv(tmp_path / "huge.csv", CUSTOMERS, rows)
        assert path.stat().st_size > 10_000_000
        # when imported
        report = run_import(sessions, "customers", path)
        # then that row is rejected with the reason, and the rows around it are stored
        assert report["errors"] == [
            {
                "row": 3,
                "field": "(row)",
                "reason": "unreadable CSV row: field larger than field limit (1000000)",
            }
        ]
        assert report["records"]["customers"] == {"inserted": 2, "updated": 0, "unchanged": 0}
        after = snapshot(sessions)
        assert lost_or_changed(stored, after) == {}
        assert [row[0] for row in after["customers"]] == ["C1", "C2", "C3", "C5"]


class TestDuplicates:
    def test_same_customer_twice_is_stored_once(
        self, sessions: sessionmaker[Session], stored: dict, tmp_path: Path
    ) -> None:
        path = write_csv(tmp_path / "dup.csv", CUSTOMERS, [FRESH["customers"]] * 2)
        report = run_import(sessions, "customers", path)
        assert report["records"]["customers"] == {"inserted": 1, "updated": 0, "unchanged": 1}
        assert report["errors"] == []
        after = snapshot(sessions)
        assert [row[0] for row in after["customers"]] == ["C1", "C2", "C3"]
        assert [row[1:] for row in after["identities"] if row[2] == "ichiro@example.jp"] == [
            ("email", "ichiro@example.jp")
        ]

    def test_same_customer_id_with_different_content_keeps_the_last_row(
        self, sessions: sessionmaker[Session], stored: dict, tmp_path: Path
    ) -> None:
        later = [*FRESH["customers"][:2], "次郎", *FRESH["customers"][3:]]
        path = write_csv(tmp_path / "dup.csv", CUSTOMERS, [FRESH["customers"], later])
        run_import(sessions, "customers", path)
        after = snapshot(sessions)
        assert [row[:3] for row in after["customers"] if row[0] == "C3"] == [("C3", "鈴木", "次郎")]

    def test_same_event_id_twice_is_stored_once(
        self, sessions: sessionmaker[Session], stored: dict, tmp_path: Path
    ) -> None:
        # given a file repeating a new event and one already stored (e1, with other content)
        rows = [FRESH["events"], FRESH["events"], ["e1", "C1", "login", "2024-06-01 00:00", ""]]
        path = write_csv(tmp_path / "events.csv", EVENTS, rows)
        # when imported
        report = run_import(sessions, "events", path)
        # then the new event is stored once and the stored one is not touched (append-only)
        assert report["records"]["events"] == {"inserted": 1, "updated": 0, "unchanged": 2}
        after = snapshot(sessions)
        assert lost_or_changed(stored, after) == {}
        assert sorted(row[0] for row in after["events"]) == ["e1", "e2", "e3"]

    def test_two_new_customers_with_one_email_reject_the_second(
        self, sessions: sessionmaker[Session], stored: dict, tmp_path: Path
    ) -> None:
        twin = ["C4", "鈴木", "一郎", "ICHIRO@example.jp", "", "", "", "", ""]
        path = write_csv(tmp_path / "twins.csv", CUSTOMERS, [FRESH["customers"], twin])
        report = run_import(sessions, "customers", path)
        assert report["errors"] == [
            {
                "row": 3,
                "field": "email",
                "reason": "email "
                "'ichiro@example.jp' is also given for customer 'C3' earlier "
                "in the file",
            }
        ]
        assert report["records"]["customers"] == {"inserted": 1, "updated": 0, "unchanged": 0}
        assert [row[0] for row in snapshot(sessions)["customers"]] == ["C1", "C2", "C3"]

    def test_new_customer_with_a_stored_customers_email_is_rejected(
        self, sessions: sessionmaker[Session], stored: dict, tmp_path: Path
    ) -> None:
        with session_scope(sessions) as s:
            taro = s.scalar(select(Customer.id).where(Customer.external_id == "C1"))
        claim = ["C4", "山田", "太郎", "Taro@Example.JP", "", "", "", "", ""]
        report = run_import(
            sessions, "customers", write_csv(tmp_path / "c.csv", CUSTOMERS, [claim])
        )
        assert report["errors"] == [
            {
                "row": 2,
                "field": "email",
                "reason": f"email 'taro@example.jp' already belongs to customer #{taro}",
            }
        ]
        assert snapshot(sessions) == stored


class TestReport:
    def test_every_rejected_row_has_its_row_column_and_reason(
        self, sessions: sessionmaker[Session], stored: dict, tmp_path: Path
    ) -> None:
        # given an orders file with good lines and several kinds of bad line
        rows = [
            ["A-3", "C1", "online", "paid", "2024-03-01 08:00", "BEAN-1", "1", "1800"],
            ["A-4", "C1", "fax", "paid", "2024-03-01 08:00", "BEAN-1", "1", "1800"],
            ["A-5", "C2", "online", "paid", "2024-03-01", "BEAN-1", "-1", "1800"],
            ["A-6", "C2", "online", "paid", "2024-03-01", "", "1", "1800"],
            ["A-7", "C2", "online", "paid", "someday", "BEAN-1", "1", "1800"],
            ["A-8", "C2", "online", "paid", "2024-03-02", "CUP-1", "3", "2500"],
        ]
        path = write_csv(tmp_path / "orders.csv", ORDERS, rows)
        # when imported
        report = run_import(sessions, "orders", path)
        # then
        assert report["errors"] == [
            {
                "row": 3,
                "field": "channel",
                "reason": "'fax' is not one of online, app, store, phone",
            },
            {
                "row": 4,
                "field": "quantity",
                "reason": "-1 is not a positive quantity (only returns may be negative)",
            },
            {"row": 5, "field": "sku", "reason": "is empty but required"},
            {
                "row": 6,
                "field": "placed_at",
                "reason": "'someday' is not a date-time (use YYYY-MM-DD HH:MM:SS)",
            },
        ]
        assert (report["rows"], report["rejected"], report["exit_code"]) == (6, 4, 1)
        assert report["records"] == {
            "orders": {"inserted": 2, "updated": 0, "unchanged": 0},
            "returns": {"inserted": 0, "updated": 0, "unchanged": 0},
        }
        assert lost_or_changed(stored, snapshot(sessions)) == {}
