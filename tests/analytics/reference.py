"""An independent pandas computation of the customer summary and RFM scores of Online Retail.

It reads the CSV itself (not the record), applies the import rules that shape the record
(``docs/import-formats.md``: C… invoices are returns naming no order, stock adjustments with a
non-positive quantity and negative prices are rejected, prices in pence half-up), and then the
analytics definitions of ``docs/analytics.md`` with plain pandas groupbys. Only the customer
ids come from the record (``external_id`` → ``id``), because RFM ties are broken by id.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import numpy as np
import pandas as pd

SHOP_ZONE = "Asia/Tokyo"


def _pence(text: str) -> int:
    return int(Decimal(text).scaleb(2).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def load(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(orders, returns) with ``customer`` (external id), ``day`` (shop-local date), ``amount``."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    quantity = df["Quantity"].astype(int)
    prices = {text: _pence(text) for text in df["UnitPrice"].unique()}
    price = df["UnitPrice"].map(prices)
    is_return = df["InvoiceNo"].str.startswith("C")
    accepted = ~((~is_return & (quantity <= 0)) | (price < 0))
    df = df[accepted].assign(
        amount=(price * quantity.abs())[accepted],
        customer=df["CustomerID"].str.removesuffix(".0"),
        is_return=is_return[accepted],
    )
    placed = pd.to_datetime(df["InvoiceDate"]).dt.tz_localize(
        "Europe/London", ambiguous="raise", nonexistent="raise"
    )
    df["day"] = placed.dt.tz_convert(SHOP_ZONE).dt.date
    heads = df.groupby("InvoiceNo", sort=False).agg(
        customer=("customer", "first"),
        day=("day", "first"),
        amount=("amount", "sum"),
        is_return=("is_return", "first"),
    )
    heads = heads[heads["customer"] != ""]
    return heads[~heads["is_return"]], heads[heads["is_return"]]


def summary(
    orders: pd.DataFrame, returns: pd.DataFrame, ids: dict[str, int], as_of: date
) -> pd.DataFrame:
    """One row per customer id with the summary's computed columns as of ``as_of``."""
    o = orders[orders["day"] <= as_of]
    r = returns[returns["day"] <= as_of]
    days = o.groupby(["customer", "day"]).agg(n=("amount", "size"), amount=("amount", "sum"))
    days = days.reset_index()
    start = as_of - timedelta(days=365)
    recent = days[days["day"] > start]
    per = days.groupby("customer").agg(
        orders=("n", "sum"),
        purchase_days=("day", "size"),
        spend_total=("amount", "sum"),
        first_purchase_day=("day", "min"),
        last_purchase_day=("day", "max"),
    )
    per = per.join(
        recent.groupby("customer").agg(
            purchase_days_12m=("day", "size"), spend_12m=("amount", "sum")
        )
    )
    credits = r.groupby("customer").agg(unattributed_return_amount=("amount", "sum"))
    everyone = pd.DataFrame(index=pd.Index(sorted(ids), name="customer"))
    out = everyone.join(per).join(credits)
    for column in (
        "orders",
        "purchase_days",
        "spend_total",
        "purchase_days_12m",
        "spend_12m",
        "unattributed_return_amount",
    ):
        out[column] = out[column].fillna(0).astype("int64")
    out["recency_days"] = out["last_purchase_day"].map(
        lambda d: (as_of - d).days if isinstance(d, date) else None
    )
    out["tenure_days"] = out["first_purchase_day"].map(
        lambda d: (as_of - d).days if isinstance(d, date) else None
    )
    out["average_order_value"] = np.where(
        out["orders"] > 0, out["spend_total"] / out["orders"].where(out["orders"] > 0), np.nan
    )
    out.index = out.index.map(ids)
    out.index.name = "customer_id"
    return out.sort_index()


def ntile(position: np.ndarray, count: int, buckets: int = 5) -> np.ndarray:
    """SQL ``ntile`` (1-based) of 0-based positions among ``count`` rows."""
    size, extra = divmod(count, buckets)
    big = extra * (size + 1)
    return (
        np.where(position < big, position // (size + 1), extra + (position - big) // max(size, 1))
        + 1
    )


def rfm(summary: pd.DataFrame) -> pd.DataFrame:
    """Quintile scores of the buyers, ties broken by customer id (as the engines do)."""
    buyers = summary[summary["purchase_days"] > 0].reset_index()
    n = len(buyers)
    out = pd.DataFrame(index=buyers["customer_id"])

    def score(column: str, ascending: bool) -> np.ndarray:
        ordered = buyers.sort_values([column, "customer_id"], ascending=[ascending, True])
        positions = np.empty(n, dtype=np.int64)
        positions[ordered.index.to_numpy()] = np.arange(n)
        return ntile(positions, n)

    out["r_score"] = score("recency_days", ascending=False)
    out["f_score"] = score("purchase_days", ascending=True)
    out["m_score"] = score("spend_total", ascending=True)
    return out
