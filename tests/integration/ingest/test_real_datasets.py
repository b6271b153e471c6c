"""Importing the real CDNOW and Online Retail files gives the counts in their PROVENANCE.md."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from kizuna.customers.models import Customer
from kizuna.ingest.csv_import import import_file
from kizuna.kit.db import session_scope
from kizuna.orders.models import Order, OrderLine, Return, ReturnLine
from tests.conftest import shared_file


def _import(sessions: sessionmaker[Session], kind: str, path: object, preset: str) -> dict:
    with session_scope(sessions) as session:
        return import_file(session, kind, str(path), preset).to_dict()


class TestCdnow:
    def test_master_counts_match_provenance(self, sessions: sessionmaker[Session]) -> None:
        # given the CDNOW master log (69,659 rows, 23,570 customers)
        path = shared_file("cdnow", "CDNOW_master.txt.gz")
        # when imported
        report = _import(sessions, "orders", path, "cdnow")
        # then every row is an order and every customer exists once
        assert report["rows"] == 69_659
        assert report["rejected"] == 0
        assert report["records"]["orders"] == {"inserted": 69_659, "updated": 0, "unchanged": 0}
        with session_scope(sessions) as s:
            assert s.scalar(select(func.count()).select_from(Order)) == 69_659
            assert s.scalar(select(func.count()).select_from(Customer)) == 23_570
            assert s.scalar(select(func.sum(OrderLine.quantity))) == 167_881
            assert s.scalar(select(func.sum(Order.total))) == 250_031_563  # $2,500,315.63
            assert s.scalar(select(func.count(func.distinct(Order.customer_id)))) == 23_570

    def test_sample_then_master_reuses_the_same_orders(
        self, sessions: sessionmaker[Session]
    ) -> None:
        sample = _import(
            sessions, "orders", shared_file("cdnow", "CDNOW_sample.txt.gz"), "cdnow-sample"
        )
        assert sample["records"]["orders"]["inserted"] == 6_919
        master = _import(sessions, "orders", shared_file("cdnow", "CDNOW_master.txt.gz"), "cdnow")
        assert master["records"]["orders"] == {"inserted": 62_740, "updated": 0, "unchanged": 6_919}


class TestOnlineRetail:
    def test_counts_match_provenance_and_reimport_changes_nothing(
        self, sessions: sessionmaker[Session]
    ) -> None:
        path = shared_file("online_retail", "online_retail.csv.gz")
        first = _import(sessions, "orders", path, "online-retail")
        # 1,336 stock adjustments (negative quantity, not a C invoice) and 2 negative prices
        assert first["rows"] == 541_909
        assert first["rejected"] == 1_338
        assert {e["field"] for e in first["errors"]} == {"Quantity", "UnitPrice"}
        assert first["exit_code"] == 1
        orders, returns = first["records"]["orders"], first["records"]["returns"]
        assert returns["inserted"] == 3_836  # the C… cancellation invoices
        with session_scope(sessions) as s:
            lines = s.scalar(select(func.count()).select_from(OrderLine))
            return_lines = s.scalar(select(func.count()).select_from(ReturnLine))
            assert lines + return_lines == 541_909 - 1_338
            assert return_lines == 9_288
            members = select(func.count()).select_from(Customer).where(Customer.is_member)
            assert s.scalar(members) == 4_372
            guests = select(func.count()).select_from(Order).where(Order.customer_id.is_(None))
            assert s.scalar(guests) > 0
            assert s.scalar(select(func.count()).select_from(Return)) == 3_836
        # every invoice is an order, a return, or wholly rejected
        assert orders["inserted"] + returns["inserted"] + _wholly_rejected(first) == 25_900
        second = _import(sessions, "orders", path, "online-retail")
        assert second["records"]["orders"] == {
            "inserted": 0,
            "updated": 0,
            "unchanged": orders["inserted"],
        }
        assert second["records"]["returns"]["unchanged"] == 3_836


def _wholly_rejected(report: dict) -> int:
    import csv
    import gzip

    rejected_rows = {e["row"] for e in report["errors"]}
    path = shared_file("online_retail", "online_retail.csv.gz")
    kept: set[str] = set()
    dropped: set[str] = set()
    with gzip.open(path, "rt", encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        for fields in reader:
            (dropped if reader.line_num in rejected_rows else kept).add(fields[0])
    return len(dropped - kept)
