"""build_summary / repeat_tracking: BTYD definitions on small cases, then Hardie's CDNOW summary."""

from __future__ import annotations

import numpy as np
import pytest

from kizuna.clv import CustomerSummary, build_summary, repeat_tracking
from kizuna.kit.errors import ValidationFailed

from .conftest import CALIBRATION_END, HOLDOUT_END


def _tx(rows: list[tuple[str, str, float]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    ids, dates, amounts = zip(*rows, strict=True)
    return np.array(ids), np.array(dates, dtype="datetime64[D]"), np.array(amounts)


class TestBuildSummary:
    def test_same_day_purchases_merge_into_one_repeat(self) -> None:
        # given a first purchase, two records on one later day and one more day
        ids, dates, amounts = _tx(
            [("a", "2024-01-01", 10), ("a", "2024-01-08", 5), ("a", "2024-01-08", 7),
             ("a", "2024-01-15", 30)]
        )  # fmt: skip
        # when summarised at the end of January in days
        s = build_summary(ids, dates, amounts, calibration_end="2024-01-31", time_unit="day")
        # then x counts days, t_x and T run from the first day, spend is per repeat day
        assert s.frequency.tolist() == [2.0]
        assert s.recency.tolist() == [14.0]
        assert s.T.tolist() == [30.0]
        assert s.monetary.tolist() == [21.0]  # (12 + 30) / 2, the first purchase excluded

    def test_weeks_divide_days_by_seven(self) -> None:
        ids, dates, amounts = _tx([("a", "2024-01-01", 1), ("a", "2024-01-08", 1)])
        s = build_summary(ids, dates, amounts, calibration_end="2024-01-15", time_unit="week")
        assert (s.recency.tolist(), s.T.tolist()) == ([1.0], [2.0])

    def test_one_time_buyer_has_zero_frequency_recency_and_spend(self) -> None:
        ids, dates, amounts = _tx([("b", "2024-01-10", 99)])
        s = build_summary(ids, dates, amounts, calibration_end="2024-01-31", time_unit="day")
        assert (s.frequency[0], s.recency[0], s.T[0], s.monetary[0]) == (0, 0, 21, 0)

    def test_holdout_counts_repeat_days_and_spend_after_calibration(self) -> None:
        ids, dates, amounts = _tx(
            [("a", "2024-01-01", 10), ("a", "2024-02-02", 4), ("a", "2024-02-02", 6),
             ("a", "2024-02-20", 1), ("a", "2024-04-01", 50), ("b", "2024-01-05", 8)]
        )  # fmt: skip
        s = build_summary(
            ids, dates, amounts, calibration_end="2024-01-31", holdout_end="2024-02-29",
            time_unit="day",
        )  # fmt: skip
        assert s.holdout_frequency.tolist() == [2.0, 0.0]
        assert s.holdout_spend.tolist() == [11.0, 0.0]
        assert s.holdout_duration == 29.0
        assert s.dropped["after_holdout_end"] == 1

    def test_customer_first_seen_after_calibration_is_not_in_the_cohort(self) -> None:
        ids, dates, amounts = _tx([("a", "2024-01-01", 1), ("late", "2024-02-10", 1)])
        s = build_summary(
            ids, dates, amounts, calibration_end="2024-01-31", holdout_end="2024-03-01"
        )
        assert s.customer_id.tolist() == ["a"]
        assert s.dropped["first_purchase_after_calibration"] == 1

    def test_negative_amounts_are_returns_and_are_dropped_with_a_count(self) -> None:
        ids, dates, amounts = _tx([("a", "2024-01-01", 10), ("a", "2024-01-05", -10)])
        s = build_summary(ids, dates, amounts, calibration_end="2024-01-31", time_unit="day")
        assert s.frequency.tolist() == [0.0]
        assert s.dropped["negative_amount"] == 1

    def test_all_purchases_on_one_day_is_one_purchase(self) -> None:
        ids, dates, amounts = _tx([("a", "2024-01-03", 1)] * 5)
        s = build_summary(ids, dates, amounts, calibration_end="2024-01-03", time_unit="day")
        assert (s.frequency[0], s.T[0], s.monetary[0]) == (0.0, 0.0, 0.0)

    @pytest.mark.parametrize(
        ("kwargs", "field"),
        [
            pytest.param({"calibration_end": "not a date"}, "calibration_end", id="bad_date"),
            pytest.param(
                {"calibration_end": "2024-02-01", "holdout_end": "2024-01-01"}, "holdout_end",
                id="holdout_before_calibration",
            ),
        ],
    )  # fmt: skip
    def test_bad_dates_name_the_field(self, kwargs: dict[str, str], field: str) -> None:
        ids, dates, amounts = _tx([("a", "2024-01-01", 1)])
        with pytest.raises(ValidationFailed) as err:
            build_summary(ids, dates, amounts, **kwargs)
        assert err.value.field == field

    def test_misaligned_inputs_are_refused(self) -> None:
        with pytest.raises(ValidationFailed, match="differ in length"):
            build_summary(["a"], ["2024-01-01", "2024-01-02"], [1.0], calibration_end="2024-02-01")


class TestCustomerSummaryContract:
    def test_from_columns_accepts_hardie_names(self) -> None:
        s = CustomerSummary.from_columns({"x": [1], "t_x": [2.0], "T": [3.0], "zbar": [4.0]})
        assert (s.frequency[0], s.recency[0], s.T[0], s.monetary[0]) == (1, 2, 3, 4)

    def test_subset_keeps_rows_aligned(self) -> None:
        s = CustomerSummary(
            frequency=[0, 2, 1], recency=[0, 5, 3], T=[6, 6, 6], monetary=[0, 9, 4],
            customer_id=np.array(["a", "b", "c"]), time_unit="day",
        )  # fmt: skip
        sub = s.subset(s.frequency > 0)
        assert (sub.customer_id.tolist(), sub.monetary.tolist()) == (["b", "c"], [9.0, 4.0])
        assert sub.time_unit == "day"

    def test_missing_column_is_named(self) -> None:
        with pytest.raises(ValidationFailed) as err:
            CustomerSummary.from_columns({"frequency": [1], "T": [3.0]})
        assert err.value.field == "recency"

    @pytest.mark.parametrize(
        ("x", "t_x", "T", "field"),
        [
            pytest.param(-1, 0.0, 1.0, "frequency", id="negative_frequency"),
            pytest.param(1.5, 0.5, 1.0, "frequency", id="fractional_frequency"),
            pytest.param(1, 2.0, 1.0, "recency", id="recency_after_T"),
            pytest.param(0, 1.0, 2.0, "recency", id="recency_without_repeat"),
            pytest.param(1, float("nan"), 2.0, "recency", id="nan"),
        ],
    )
    def test_impossible_rows_are_refused_with_field_and_row(
        self, x: float, t_x: float, T: float, field: str
    ) -> None:
        with pytest.raises(ValidationFailed) as err:
            CustomerSummary(frequency=[0, x], recency=[0, t_x], T=[1, T])
        assert (err.value.field, err.value.row) == (field, 1)


@pytest.mark.shared_data
class TestCdnowSample:
    def test_summary_from_raw_transactions_equals_hardies_file(
        self, cdnow_transactions, hardie_columns
    ) -> None:
        s = build_summary(
            *cdnow_transactions, calibration_end=CALIBRATION_END, holdout_end=HOLDOUT_END
        )
        assert len(s) == 2357
        assert s.customer_id.tolist() == hardie_columns["ID"].astype(int).tolist()
        assert s.frequency.tolist() == hardie_columns["x"].tolist()
        assert np.round(s.recency, 2).tolist() == hardie_columns["t_x"].tolist()
        assert np.round(s.T, 2).tolist() == hardie_columns["T"].tolist()
        # Hardie rounds zbar half-up from a few cents' ties: within one cent
        np.testing.assert_allclose(s.monetary, hardie_columns["zbar"], atol=0.01 + 1e-9)
        assert (s.frequency.sum(), int((s.frequency == 0).sum())) == (2457, 1411)
        assert (s.holdout_frequency.sum(), s.holdout_duration) == (1882, 39.0)

    def test_tracking_counts_match_the_btyd_walkthrough(self, cdnow_transactions) -> None:
        ids, dates, _ = cdnow_transactions
        tr = repeat_tracking(ids, dates, calibration_end=CALIBRATION_END, holdout_end=HOLDOUT_END)
        cumulative = np.cumsum(tr.actual_incremental)
        assert str(tr.start) == "1997-01-01"
        assert (len(cumulative), tr.calibration_periods) == (78, 39)
        assert cumulative[19:25].tolist() == [1359, 1414, 1484, 1517, 1573, 1672]
        assert (cumulative[38], cumulative[-1]) == (2457, 4339)
