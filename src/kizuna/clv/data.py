"""Per-customer BTYD summary (x, t_x, T, average repeat spend) and holdout actuals.

Grain: one row per customer whose first purchase is on or before the calibration end. Input is
three transaction arrays (customer id, date, amount); everything is vectorised numpy (sort + run
boundaries), so ten million transactions take about a second. Reads no database and writes
nothing: the caller fetches the transactions (as Arrow/numpy) and persists what the models return.

Definitions (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy Way", section 2):

* a *purchase* is a customer-day: several records on one date are merged into one transaction
  whose amount is their sum (the BTYD convention, and how Hardie built the CDNOW summaries);
* ``frequency`` x = purchase days after the first one, up to and including ``calibration_end``;
* ``recency`` t_x = last purchase day − first purchase day; ``T`` = calibration end − first day;
* ``monetary`` = mean amount of the x repeat purchases (the first purchase is excluded; 0 when x=0);
* holdout actuals = purchase days and their total amount in (calibration_end, holdout_end].

Rows with a negative amount are returns, not purchases: they are dropped and counted in
``CustomerSummary.dropped``. Timestamps are floored to the day: pass dates in the shop's zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from kizuna.kit.errors import ValidationFailed

TimeUnit = Literal["day", "week"]
DAYS_PER_UNIT: dict[str, int] = {"day": 1, "week": 7}
Floats = NDArray[np.float64]

# Column names a caller may use for each summary field (Hardie's files use x, t_x, T, zbar).
_ALIASES: dict[str, tuple[str, ...]] = {
    "frequency": ("frequency", "x"),
    "recency": ("recency", "t_x"),
    "T": ("T", "age"),
    "monetary": ("monetary", "monetary_value", "zbar"),
    "customer_id": ("customer_id", "ID", "id"),
}


@dataclass(frozen=True, eq=False)
class CustomerSummary:
    """One row per customer: the sufficient statistics of the BTYD models, as aligned arrays.

    Times are in ``time_unit`` (days or weeks). ``monetary`` is the average repeat spend (0 when
    ``frequency`` is 0). The holdout fields are ``None`` when no holdout window was asked for.
    """

    frequency: Floats
    recency: Floats
    T: Floats
    monetary: Floats | None = None
    customer_id: NDArray[Any] | None = None
    holdout_frequency: Floats | None = None
    holdout_spend: Floats | None = None
    holdout_duration: float | None = None
    time_unit: TimeUnit = "week"
    calibration_end: np.datetime64 | None = None
    dropped: Mapping[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("frequency", "recency", "T", "monetary", "holdout_frequency", "holdout_spend"):
            value = getattr(self, name)
            if value is not None:
                object.__setattr__(self, name, _float_column(name, value))
        if self.time_unit not in DAYS_PER_UNIT:
            raise ValidationFailed(
                f"time_unit has value {self.time_unit!r}. Not one of 'day', 'week'.",
                field="time_unit",
            )
        self._check_consistent()

    def _check_consistent(self) -> None:
        n = len(self.frequency)
        for name in ("recency", "T", "monetary", "customer_id", "holdout_frequency"):
            value = getattr(self, name)
            if value is not None and len(value) != n:
                raise ValidationFailed(
                    f"{name} has {len(value)} rows, frequency has {n}.", field=name
                )
        x, t_x, T = self.frequency, self.recency, self.T
        checks = {
            "frequency": (x < 0) | (x != np.round(x)),
            "recency": (t_x < 0) | (t_x > T + 1e-9) | ((x == 0) & (t_x != 0)),
            "T": T < 0,
        }
        for name, bad in checks.items():
            if bad.any():
                row = int(np.flatnonzero(bad)[0])
                raise ValidationFailed(
                    f"{name} has value {getattr(self, name)[row]!r} at row {row}. Needs integer "
                    "frequency >= 0, 0 <= recency <= T, and recency 0 when frequency is 0.",
                    field=name,
                    row=row,
                )

    def __len__(self) -> int:
        return len(self.frequency)

    @property
    def days_per_unit(self) -> int:
        """Days in one ``time_unit``."""
        return DAYS_PER_UNIT[self.time_unit]

    def to_units(self, days: float) -> float:
        """``days`` expressed in this summary's time unit."""
        return days / self.days_per_unit

    def subset(self, mask: NDArray[np.bool_]) -> CustomerSummary:
        """The customers where ``mask`` is true (holdout fields kept)."""

        def pick(a: Any) -> Any:
            return None if a is None else a[mask]

        return CustomerSummary(
            frequency=self.frequency[mask],
            recency=self.recency[mask],
            T=self.T[mask],
            monetary=pick(self.monetary),
            customer_id=pick(self.customer_id),
            holdout_frequency=pick(self.holdout_frequency),
            holdout_spend=pick(self.holdout_spend),
            holdout_duration=self.holdout_duration,
            time_unit=self.time_unit,
            calibration_end=self.calibration_end,
            dropped=self.dropped,
        )

    @classmethod
    def from_columns(
        cls, columns: Mapping[str, ArrayLike], *, time_unit: TimeUnit = "week"
    ) -> CustomerSummary:
        """Build from named columns (``frequency``/``x``, ``recency``/``t_x``, ``T``, ``zbar``…)."""
        found: dict[str, Any] = {}
        for canonical, names in _ALIASES.items():
            hit = next((n for n in names if n in columns), None)
            if hit is not None:
                found[canonical] = np.asarray(columns[hit])
            elif canonical in ("frequency", "recency", "T"):
                raise ValidationFailed(
                    f"Column {canonical!r} is missing (accepted names: {', '.join(names)}).",
                    field=canonical,
                )
        return cls(time_unit=time_unit, **found)


@dataclass(frozen=True)
class PurchaseDays:
    """Merged customer-days (same-day records summed), sorted by (customer, day)."""

    ids: NDArray[Any]  # unique customer ids (sorted)
    code: NDArray[np.int64]  # index into ids, one per purchase day
    day: NDArray[np.int64]  # days since 1970-01-01
    amount: Floats
    first_day: NDArray[np.int64]  # per customer
    dropped: dict[str, int]


def build_summary(
    customer_ids: ArrayLike,
    dates: ArrayLike,
    amounts: ArrayLike,
    *,
    calibration_end: Any,
    holdout_end: Any | None = None,
    time_unit: TimeUnit = "week",
) -> CustomerSummary:
    """The calibration summary at ``calibration_end`` (inclusive) and holdout actuals after it."""
    cal = day_number(calibration_end, "calibration_end")
    end = day_number(holdout_end, "holdout_end") if holdout_end is not None else cal
    if end < cal:
        raise ValidationFailed("holdout_end is before calibration_end.", field="holdout_end")
    pd_ = purchase_days(customer_ids, dates, amounts, last_day=end)
    in_cohort = pd_.first_day <= cal
    n = len(pd_.ids)
    calib = pd_.day <= cal
    code_c, day_c, amt_c = pd_.code[calib], pd_.day[calib], pd_.amount[calib]
    days = np.bincount(code_c, minlength=n)
    spend = np.bincount(code_c, weights=amt_c, minlength=n)
    last = np.full(n, np.iinfo(np.int64).min)
    np.maximum.at(last, code_c, day_c)
    first_amount = np.zeros(n)
    is_first = day_c == pd_.first_day[code_c]
    first_amount[code_c[is_first]] = amt_c[is_first]
    x = np.maximum(days - 1, 0).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        monetary = np.where(x > 0, (spend - first_amount) / np.maximum(x, 1), 0.0)
    unit = DAYS_PER_UNIT[time_unit]
    hold = ~calib
    hold_days = np.bincount(pd_.code[hold], minlength=n).astype(np.float64)
    hold_spend = np.bincount(pd_.code[hold], weights=pd_.amount[hold], minlength=n).astype(float)
    keep = in_cohort
    dropped = dict(pd_.dropped, first_purchase_after_calibration=int((~in_cohort).sum()))
    return CustomerSummary(
        frequency=x[keep],
        recency=((last[keep] - pd_.first_day[keep]) / unit).astype(np.float64),
        T=((cal - pd_.first_day)[keep] / unit).astype(np.float64),
        monetary=monetary[keep],
        customer_id=pd_.ids[keep],
        holdout_frequency=hold_days[keep] if holdout_end is not None else None,
        holdout_spend=hold_spend[keep] if holdout_end is not None else None,
        holdout_duration=(end - cal) / unit if holdout_end is not None else None,
        time_unit=time_unit,
        calibration_end=np.datetime64(int(cal), "D"),
        dropped=dropped,
    )


def purchase_days(
    ids_in: ArrayLike, dates: ArrayLike, amounts: ArrayLike, *, last_day: int
) -> PurchaseDays:
    """Validated transactions up to ``last_day`` merged into customer-days (returns dropped)."""
    ids_raw = np.asarray(ids_in)
    day = _days(dates)
    amount = np.asarray(amounts, dtype=np.float64)
    if not (len(ids_raw) == len(day) == len(amount)):
        raise ValidationFailed(
            f"customer_ids, dates and amounts differ in length "
            f"({len(ids_raw)}, {len(day)}, {len(amount)}).",
            field="customer_ids",
        )
    negative = amount < 0
    bad = ~np.isfinite(amount)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise ValidationFailed(f"amount at row {row} is not a number.", field="amount", row=row)
    late = day > last_day
    keep = ~(negative | late)
    ids, code = np.unique(ids_raw[keep], return_inverse=True)
    code, day, amount = code.astype(np.int64), day[keep], amount[keep]
    order = np.lexsort((day, code))
    code, day, amount = code[order], day[order], amount[order]
    new = np.ones(len(code), dtype=bool)
    new[1:] = (code[1:] != code[:-1]) | (day[1:] != day[:-1])
    starts = np.flatnonzero(new)
    amount = np.add.reduceat(amount, starts) if len(starts) else amount
    code, day = code[starts], day[starts]
    first_day = np.full(len(ids), np.iinfo(np.int64).max)
    np.minimum.at(first_day, code, day)
    dropped = {
        "negative_amount": int(negative.sum()),
        "after_holdout_end": int((late & ~negative).sum()),
    }
    return PurchaseDays(ids, code, day, amount, first_day, dropped)


def _days(dates: ArrayLike) -> NDArray[np.int64]:
    arr = np.asarray(dates)
    if arr.dtype.kind != "M":
        try:
            arr = arr.astype("datetime64[D]")
        except (TypeError, ValueError) as exc:
            raise ValidationFailed(
                f"dates cannot be read as dates ({exc}). Pass datetime64 values or ISO "
                "'YYYY-MM-DD' strings, in the shop's time zone.",
                field="dates",
            ) from exc
    days = arr.astype("datetime64[D]").astype(np.int64)
    if np.isnat(arr).any():
        row = int(np.flatnonzero(np.isnat(arr))[0])
        raise ValidationFailed(f"date at row {row} is missing.", field="dates", row=row)
    return days


def day_number(value: Any, name: str) -> int:
    """``value`` as days since 1970-01-01, or ValidationFailed naming ``name``."""
    try:
        day = np.datetime64(value, "D")
    except (TypeError, ValueError) as exc:
        raise ValidationFailed(f"{name} has value {value!r}. Not a date.", field=name) from exc
    return int(day.astype(np.int64))


def _float_column(name: str, value: ArrayLike) -> Floats:
    arr = np.asarray(value, dtype=np.float64).reshape(-1)
    if not np.isfinite(arr).all():
        row = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise ValidationFailed(f"{name} at row {row} is not a finite number.", field=name, row=row)
    return arr
