"""Correctness on real data: on every engine, ``customer_summary`` and the RFM quintile scores of
Online Retail equal an independent pandas computation, customer by customer."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from ibis.backends import BaseBackend

from kizuna.analytics.rfm import rfm_scores
from kizuna.analytics.summary import customer_summary
from tests.analytics import reference
from tests.conftest import shared_file

pytestmark = pytest.mark.shared_data

COMPARED = (
    "orders",
    "purchase_days",
    "spend_total",
    "purchase_days_12m",
    "spend_12m",
    "first_purchase_day",
    "last_purchase_day",
    "recency_days",
    "tenure_days",
    "unattributed_return_amount",
)
_EXPECTED: dict[date, tuple[pd.DataFrame, pd.DataFrame]] = {}


def _ids(con: BaseBackend) -> dict[str, int]:
    customers = con.table("customers").select("id", "external_id").to_pyarrow().to_pylist()
    return {row["external_id"]: row["id"] for row in customers}


def expected(con: BaseBackend, as_of: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The pandas summary and RFM scores (computed once per date for the session)."""
    if as_of not in _EXPECTED:
        orders, returns = reference.load(shared_file("online_retail", "online_retail.csv.gz"))
        summary = reference.summary(orders, returns, _ids(con), as_of)
        _EXPECTED[as_of] = (summary, reference.rfm(summary))
    return _EXPECTED[as_of]


def _plain(values: pd.Series) -> list[object]:
    """Python values with None for every kind of missing, whole floats as ints."""
    out: list[object] = []
    for value in values.tolist():
        if value is None or (isinstance(value, float) and value != value):
            out.append(None)
        elif isinstance(value, float) and value.is_integer():
            out.append(int(value))
        else:
            out.append(value)
    return out


def _frame(table: object) -> pd.DataFrame:
    return table.to_pyarrow().to_pandas().set_index("customer_id").sort_index()  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "as_of", [date(2011, 12, 9), date(2011, 6, 30)], ids=["last-day", "mid-year"]
)
class TestOnlineRetail:
    def test_summary_equals_pandas_customer_by_customer(
        self, online_retail: tuple[str, BaseBackend], as_of: date
    ) -> None:
        _url, con = online_retail
        want, _ = expected(con, as_of)
        got = _frame(customer_summary(con, as_of))
        # the same customers: everyone who bought or returned something by then
        assert got.index.tolist() == want.index.tolist()
        assert len(got) == 4_372 if as_of == date(2011, 12, 9) else len(got) > 0
        for column in COMPARED:
            pairs = zip(_plain(got[column]), _plain(want[column]), strict=True)
            differ = [(cid, a, b) for cid, (a, b) in zip(got.index, pairs, strict=True) if a != b]
            assert not differ, f"{column}: {len(differ)} customers differ, e.g. {differ[:3]}"
        aov = (got["average_order_value"] - want["average_order_value"]).abs()
        assert (aov.fillna(0) < 1e-6).all()

    def test_rfm_quintiles_equal_pandas_customer_by_customer(
        self, online_retail: tuple[str, BaseBackend], as_of: date
    ) -> None:
        _url, con = online_retail
        want_summary, want = expected(con, as_of)
        got = _frame(rfm_scores(customer_summary(con, as_of)))
        buyers = got[got["purchase_days"] > 0]
        assert buyers.index.tolist() == want.index.tolist()
        for column in ("r_score", "f_score", "m_score"):
            differ = (buyers[column].astype("int64") != want[column]).sum()
            assert differ == 0, f"{column}: {differ} of {len(want)} customers differ"
        # and customers who never bought have no scores
        assert got.loc[got["purchase_days"] == 0, "r_score"].isna().all()
        assert len(want_summary) == len(got)
