"""The documented import formats: the examples in docs/import-formats.md import as described, in
every supported encoding, idempotently; the cdnow and online-retail presets read their layouts."""

from __future__ import annotations

import gzip
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from kizuna.catalog.models import Brand, Category, Product
from kizuna.customers.models import ConsentChange, Customer, Identity
from kizuna.customers.service import current_consents
from kizuna.events.models import Event
from kizuna.ingest.csv_import import import_file
from kizuna.kit.db import session_scope
from kizuna.orders.models import Order, OrderLine, Return, ReturnLine

DOC = Path(__file__).resolve().parents[3] / "docs" / "import-formats.md"
EXAMPLE = re.compile(r"<!-- example: (\w+) -->\n```csv\n(.*?)```", re.S)


def examples() -> dict[str, str]:
    """The CSV examples of docs/import-formats.md by kind."""
    found = dict(EXAMPLE.findall(DOC.read_text(encoding="utf-8")))
    assert sorted(found) == ["customers", "events", "orders", "products"]
    return found


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    data = text.encode(encoding)
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return path


def run_import(
    sessions: sessionmaker[Session], kind: str, path: Path, preset: str | None = None
) -> dict[str, Any]:
    with session_scope(sessions) as session:
        return import_file(session, kind, path, preset).to_dict()


def import_examples(sessions: sessionmaker[Session], tmp_path: Path) -> dict[str, dict]:
    """Import the four documented examples in the documented order; their reports by kind."""
    docs = examples()
    return {
        kind: run_import(sessions, kind, write(tmp_path / f"{kind}.csv", docs[kind]))
        for kind in ("products", "customers", "orders", "events")
    }


def customer(s: Session, external_id: str) -> Customer:
    return s.execute(select(Customer).where(Customer.external_id == external_id)).scalar_one()


def identities(s: Session, customer_id: int) -> list[tuple[str, str]]:
    rows = s.execute(
        select(Identity.kind, Identity.value).where(Identity.customer_id == customer_id)
    )
    return sorted(map(tuple, rows))


class TestDocumentedExamples:
    def test_customers(self, sessions: sessionmaker[Session], tmp_path: Path) -> None:
        # given the customers example of the docs
        # when imported
        reports = import_examples(sessions, tmp_path)
        # then the three customers are stored normalised
        report = reports["customers"]
        assert (report["rows"], report["rejected"], report["exit_code"]) == (3, 0, 0)
        assert report["records"] == {"customers": {"inserted": 3, "updated": 0, "unchanged": 0}}
        with session_scope(sessions) as s:
            taro = customer(s, "C0001")
            assert (taro.family_name, taro.given_name, taro.family_kana, taro.given_kana) == (
                "山田",
                "太郎",
                "ヤマダ",
                "タロウ",
            )
            assert (taro.birth_date, taro.gender, taro.prefecture, taro.postal_code) == (
                date(1985, 4, 1),
                "male",
                "東京都",
                "150-0001",
            )
            assert taro.registered_at == datetime(2023, 4, 1, 1, 0, tzinfo=UTC)
            assert (taro.occupation, taro.registration_channel) == ("会社員", "online")
            assert taro.attributes == {"会員ランク": "ゴールド"}
            assert identities(s, taro.id) == [
                ("email", "taro.yamada@example.jp"),
                ("member_number", "M-0001"),
                ("phone", "09012345678"),
            ]
            consents = {ch: c.granted for ch, c in current_consents(s, taro.id).items()}
            assert consents == {"email": True, "sms": False}
            assert taro.marketing_status == "subscribed"

            hanako = customer(s, "C0002")
            assert (hanako.family_kana, hanako.given_kana, hanako.gender) == (
                "サトウ",
                "ハナコ",
                "female",
            )
            assert (hanako.birth_date, hanako.prefecture, hanako.postal_code) == (
                date(1990, 7, 15),
                "大阪府",
                "530-0001",
            )
            assert hanako.registered_at == datetime(2023, 5, 10, 0, 30, tzinfo=UTC)
            assert hanako.registration_channel == "store"
            assert identities(s, hanako.id) == [
                ("email", "hanako@example.jp"),
                ("member_number", "M-0002"),
                ("phone", "08011112222"),
            ]
            consents = {ch: c.granted for ch, c in current_consents(s, hanako.id).items()}
            assert consents == {"email": True, "line": True, "sms": False}
            assert {c.source for c in current_consents(s, hanako.id).values()} == {"import"}

            guest = customer(s, "G0001")
            assert (guest.is_member, guest.marketing_status, guest.gender) == (
                False,
                "never_asked",
                "unknown",
            )
            assert identities(s, guest.id) == [("email", "suzuki@example.jp")]

    def test_products(self, sessions: sessionmaker[Session], tmp_path: Path) -> None:
        reports = import_examples(sessions, tmp_path)
        assert reports["products"]["records"] == {
            "products": {"inserted": 3, "updated": 0, "unchanged": 0}
        }
        with session_scope(sessions) as s:
            rows = s.execute(
                select(
                    Product.sku,
                    Product.name,
                    Category.code,
                    Category.name,
                    Brand.name,
                    Product.price,
                    Product.currency,
                    Product.launch_date,
                    Product.stock_status,
                )
                .join(Category, Product.category_id == Category.id)
                .join(Brand, Product.brand_id == Brand.id)
                .order_by(Product.sku)
            ).all()
        assert [tuple(row) for row in rows] == [
            (
                "BEAN-1",
                "深煎りブレンド 200g",
                "coffee",
                "コーヒー豆",
                "絆珈琲",
                1800,
                "JPY",
                date(2023, 3, 1),
                "in_stock",
            ),
            (
                "CUP-1",
                "有田焼マグカップ",
                "ware",
                "器",
                "有田窯",
                2500,
                "JPY",
                date(2022, 11, 15),
                "low_stock",
            ),
            (
                "DRIP-1",
                "ドリップバッグ 10袋",
                "coffee",
                "コーヒー豆",
                "絆珈琲",
                980,
                "JPY",
                None,
                "discontinued",
            ),
        ]

    def test_orders_lines_totals_guests_and_returns(
        self, sessions: sessionmaker[Session], tmp_path: Path
    ) -> None:
        reports = import_examples(sessions, tmp_path)
        assert reports["orders"]["exit_code"] == 0
        assert reports["orders"]["records"] == {
            "orders": {"inserted": 3, "updated": 0, "unchanged": 0},
            "returns": {"inserted": 1, "updated": 0, "unchanged": 0},
        }
        with session_scope(sessions) as s:
            taro = customer(s, "C0001")
            orders = {o.order_number: o for o in s.scalars(select(Order))}
            first = orders["A-1001"]
            assert (first.customer_id, first.channel, first.status, first.currency) == (
                taro.id,
                "online",
                "delivered",
                "JPY",
            )
            assert first.placed_at == datetime(2024, 1, 5, 1, 0, tzinfo=UTC)
            lines = s.execute(
                select(
                    OrderLine.line_no,
                    OrderLine.sku,
                    OrderLine.description,
                    OrderLine.quantity,
                    OrderLine.unit_price,
                    OrderLine.discount,
                    OrderLine.amount,
                )
                .where(OrderLine.order_id == first.id)
                .order_by(OrderLine.line_no)
            ).all()
            assert [tuple(line) for line in lines] == [
                (1, "BEAN-1", "深煎りブレンド 200g", 2, 1800, 0, 3600),
                (2, "CUP-1", "有田焼マグカップ", 1, 2500, 300, 2200),
            ]
            assert (
                first.subtotal,
                first.discount,
                first.shipping_fee,
                first.points_used,
                first.total,
            ) == (5800, 0, 500, 100, 6200)
            # the guest order with Taro's email in full-width capitals joins Taro
            app = orders["A-1002"]
            assert (app.customer_id, app.guest_email, app.channel) == (
                taro.id,
                "taro.yamada@example.jp",
                "app",
            )
            assert app.placed_at == datetime(2024, 2, 1, 0, 5, tzinfo=UTC)
            # an unknown guest becomes a guest customer holding the email and phone
            store = orders["S-0001"]
            guest = s.get(Customer, store.customer_id)
            assert guest is not None and guest.is_member is False
            assert identities(s, guest.id) == [
                ("email", "guest@example.com"),
                ("phone", "0312345678"),
            ]
            # the return reverses line 2 of A-1001
            ret = s.execute(select(Return)).scalar_one()
            assert (ret.return_number, ret.order_id, ret.customer_id, ret.amount) == (
                "R-1001",
                first.id,
                taro.id,
                2200,
            )
            assert [
                tuple(r)
                for r in s.execute(select(ReturnLine.sku, ReturnLine.quantity, ReturnLine.amount))
            ] == [("CUP-1", 1, 2200)]

    def test_events(self, sessions: sessionmaker[Session], tmp_path: Path) -> None:
        reports = import_examples(sessions, tmp_path)
        assert reports["events"]["records"] == {
            "events": {"inserted": 4, "updated": 0, "unchanged": 0}
        }
        with session_scope(sessions) as s:
            taro, hanako = customer(s, "C0001"), customer(s, "C0002")
            rows = s.execute(
                select(
                    Event.event_key,
                    Event.customer_id,
                    Event.anonymous_id,
                    Event.type,
                    Event.occurred_at,
                    Event.sku,
                    Event.properties,
                ).order_by(Event.event_key)
            ).all()
        assert [tuple(row) for row in rows] == [
            (
                "ev-0001",
                taro.id,
                None,
                "product_view",
                datetime(2024, 1, 5, 0, 50, tzinfo=UTC),
                "BEAN-1",
                {"referrer": "line"},
            ),
            (
                "ev-0002",
                taro.id,
                None,
                "cart_add",
                datetime(2024, 1, 5, 0, 55, tzinfo=UTC),
                "BEAN-1",
                {},
            ),
            (
                "ev-0003",
                None,
                "anon-7f3a",
                "search",
                datetime(2024, 1, 6, 12, 10, tzinfo=UTC),
                None,
                {"query": "デカフェ"},
            ),
            (
                "ev-0004",
                hanako.id,
                None,
                "login",
                datetime(2024, 1, 6, 23, 0, tzinfo=UTC),
                None,
                {},
            ),
        ]


class TestIdempotency:
    def test_same_files_again_change_nothing(
        self, sessions: sessionmaker[Session], tmp_path: Path
    ) -> None:
        # given the four examples imported
        import_examples(sessions, tmp_path)
        with session_scope(sessions) as s:
            consents_before = len(s.scalars(select(ConsentChange)).all())
            stamps_before = sorted(s.scalars(select(Customer.updated_at)))
        # when imported again
        again = import_examples(sessions, tmp_path)
        # then every record is unchanged, and no row was touched or added
        assert {kind: report["records"] for kind, report in again.items()} == {
            "products": {"products": {"inserted": 0, "updated": 0, "unchanged": 3}},
            "customers": {"customers": {"inserted": 0, "updated": 0, "unchanged": 3}},
            "orders": {
                "orders": {"inserted": 0, "updated": 0, "unchanged": 3},
                "returns": {"inserted": 0, "updated": 0, "unchanged": 1},
            },
            "events": {"events": {"inserted": 0, "updated": 0, "unchanged": 4}},
        }
        with session_scope(sessions) as s:
            assert len(s.scalars(select(ConsentChange)).all()) == consents_before
            assert sorted(s.scalars(select(Customer.updated_at))) == stamps_before

    def test_changed_rows_are_updated_and_the_rest_unchanged(
        self, sessions: sessionmaker[Session], tmp_path: Path
    ) -> None:
        import_examples(sessions, tmp_path)
        docs = examples()
        # given Taro's occupation and SMS consent changed, and one more BEAN-1 on order A-1001
        customers = docs["customers"].replace(
            "会社員,2023-04-01 10:00,online,1,0,", "自営業,2023-04-01 10:00,online,1,1,"
        )
        orders = docs["orders"].replace(
            "BEAN-1,深煎りブレンド 200g,2,1800,", "BEAN-1,深煎りブレンド 200g,3,1800,"
        )
        assert customers != docs["customers"] and orders != docs["orders"]
        # when the changed files are imported
        c = run_import(sessions, "customers", write(tmp_path / "c2.csv", customers))
        o = run_import(sessions, "orders", write(tmp_path / "o2.csv", orders))
        # then exactly those records are updated
        assert c["records"]["customers"] == {"inserted": 0, "updated": 1, "unchanged": 2}
        assert o["records"]["orders"] == {"inserted": 0, "updated": 1, "unchanged": 2}
        assert o["records"]["returns"] == {"inserted": 0, "updated": 0, "unchanged": 1}
        with session_scope(sessions) as s:
            taro = customer(s, "C0001")
            assert taro.occupation == "自営業"
            history = s.execute(
                select(ConsentChange.channel, ConsentChange.granted)
                .where(ConsentChange.customer_id == taro.id)
                .order_by(ConsentChange.id)
            ).all()
            assert [tuple(h) for h in history] == [("email", True), ("sms", False), ("sms", True)]
            order = s.execute(select(Order).where(Order.order_number == "A-1001")).scalar_one()
            assert (order.subtotal, order.total) == (7600, 8000)
            quantities = s.scalars(
                select(OrderLine.quantity)
                .where(OrderLine.order_id == order.id)
                .order_by(OrderLine.line_no)
            ).all()
            assert quantities == [3, 1]


CP932_CUSTOMERS = (
    "customer_id,family_name,given_name,family_kana,given_kana,occupation,prefecture\r\n"
    "C1,髙橋,①子,たかはし,ｲﾁｺ,㈱絆 勤務,神奈川\r\n"
    "C2,渡邊,健太,わたなべ,けんた,会社員～パート,北海道\r\n"
)


class TestEncodings:
    @pytest.mark.parametrize(
        ("name", "encoding", "reported"),
        [
            pytest.param("c.csv", "utf-8", "utf-8", id="utf8"),
            pytest.param("c.csv", "utf-8-sig", "utf-8-sig", id="utf8_bom"),
            pytest.param("c.csv", "cp932", "cp932", id="cp932"),
            pytest.param("c.csv.gz", "cp932", "cp932", id="cp932_gzip"),
            pytest.param("c.csv", "utf-16", "utf-16", id="utf16_bom"),
        ],
    )
    def test_japanese_customers_read_the_same_in_every_encoding(
        self,
        sessions: sessionmaker[Session],
        tmp_path: Path,
        name: str,
        encoding: str,
        reported: str,
    ) -> None:
        # given a customers file with CP932-only characters (髙, ①, ㈱), saved in an encoding
        path = write(tmp_path / name, CP932_CUSTOMERS, encoding)
        # when imported
        report = run_import(sessions, "customers", path)
        # then the encoding is named and the text is stored exactly
        assert (report["encoding"], report["rejected"]) == (reported, 0)
        with session_scope(sessions) as s:
            rows = s.execute(
                select(
                    Customer.external_id,
                    Customer.family_name,
                    Customer.given_name,
                    Customer.family_kana,
                    Customer.given_kana,
                    Customer.occupation,
                    Customer.prefecture,
                ).order_by(Customer.external_id)
            ).all()
        assert [tuple(row) for row in rows] == [
            ("C1", "髙橋", "①子", "タカハシ", "イチコ", "㈱絆 勤務", "神奈川県"),
            ("C2", "渡邊", "健太", "ワタナベ", "ケンタ", "会社員～パート", "北海道"),
        ]


class TestOtherPresets:
    def test_online_retail_layout(self, sessions: sessionmaker[Session], tmp_path: Path) -> None:
        # given invoice lines: a member's invoice, its cancellation, and a guest's invoice
        text = (
            "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
            "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,"
            "17850.0,United Kingdom\n"
            "536365,71053,WHITE METAL LANTERN,6,2010-12-01 08:26:00,3.39,17850.0,United Kingdom\n"
            "C536379,D,Discount,-1,2010-12-01 09:41:00,27.50,17850.0,United Kingdom\n"
            "536414,22139,,56,2010-12-01 11:52:00,0,,United Kingdom\n"
        )
        report = run_import(sessions, "orders", write(tmp_path / "r.csv", text), "online-retail")
        assert report["records"] == {
            "orders": {"inserted": 2, "updated": 0, "unchanged": 0},
            "returns": {"inserted": 1, "updated": 0, "unchanged": 0},
        }
        with session_scope(sessions) as s:
            member = customer(s, "17850")
            assert (member.country, member.is_member) == ("United Kingdom", True)
            order = s.execute(select(Order).where(Order.order_number == "536365")).scalar_one()
            assert (order.customer_id, order.currency, order.total) == (member.id, "GBP", 3564)
            assert order.placed_at == datetime(2010, 12, 1, 8, 26, tzinfo=UTC)
            ret = s.execute(select(Return)).scalar_one()
            assert (ret.return_number, ret.customer_id, ret.amount) == ("C536379", member.id, 2750)
            guest = s.execute(select(Order).where(Order.order_number == "536414")).scalar_one()
            assert (guest.customer_id, guest.total) == (None, 0)

    def test_cdnow_sample_layout(self, sessions: sessionmaker[Session], tmp_path: Path) -> None:
        text = "00001 00001 19970101 1 11.77\n00002 00002 19970112 2 29.33\n"
        report = run_import(sessions, "orders", write(tmp_path / "s.txt", text), "cdnow-sample")
        assert (report["rows"], report["rejected"]) == (2, 0)
        with session_scope(sessions) as s:
            rows = s.execute(
                select(
                    Order.order_number,
                    Order.currency,
                    Order.total,
                    OrderLine.quantity,
                    OrderLine.unit_price,
                    Order.placed_at,
                )
                .join(OrderLine, OrderLine.order_id == Order.id)
                .order_by(Order.order_number)
            ).all()
        assert [tuple(row) for row in rows] == [
            ("cdnow-00001-19970101-1", "USD", 1177, 1, 1177, datetime(1997, 1, 1, 5, tzinfo=UTC)),
            ("cdnow-00002-19970112-1", "USD", 2933, 2, 1467, datetime(1997, 1, 12, 5, tzinfo=UTC)),
        ]
