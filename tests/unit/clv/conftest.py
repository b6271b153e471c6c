"""CDNOW fixtures: Hardie's calibration summary and the raw 1/10 sample (read from shared/data)."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from kizuna.clv import CustomerSummary
from tests.conftest import shared_file

CALIBRATION_END = "1997-09-30"
HOLDOUT_END = "1998-06-30"


@pytest.fixture(scope="session")
def hardie_columns() -> dict[str, np.ndarray]:
    """Columns ID, x, t_x, T, zbar of ``cdnow_customers_summary_with_transactions.csv``."""
    path = shared_file("cdnow", "cdnow_customers_summary_with_transactions.csv.gz")
    with gzip.open(path, "rt") as f:
        header = f.readline().strip().split(",")
        data = np.loadtxt(f, delimiter=",")
    return {name: data[:, i] for i, name in enumerate(header)}


@pytest.fixture(scope="session")
def cdnow_summary(hardie_columns: dict[str, np.ndarray]) -> CustomerSummary:
    """The 2,357-customer calibration summary in weeks, as published (2 decimals)."""
    return CustomerSummary.from_columns(hardie_columns, time_unit="week")


@pytest.fixture(scope="session")
def cdnow_transactions() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sample customer id, date, dollars) of the 6,919 rows of ``CDNOW_sample.txt``."""
    path = shared_file("cdnow", "CDNOW_sample.txt.gz")
    with gzip.open(path, "rt") as f:
        raw = np.loadtxt(f, dtype=str)
    dates = np.array([f"{d[:4]}-{d[4:6]}-{d[6:]}" for d in raw[:, 2]], dtype="datetime64[D]")
    return raw[:, 1].astype(np.int64), dates, raw[:, 4].astype(np.float64)
