"""The demo shop's calendar: two years of days ending at "today", with seasonal shopping intensity.

Times are integer seconds since midnight (shop time, Asia/Tokyo) of the first day; ``to_datetimes``
turns them into aware UTC datetimes. December (お歳暮, Christmas) and summer (お中元) are the gift
peaks; Sunday and Monday evenings are busiest; New Year and Black Friday are sales.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np

from kizuna.kit.clock import start_of_day

DAY = 86_400
WINDOW_DAYS = 730
_MONTH = (0.95, 0.95, 1.0, 0.92, 1.02, 1.05, 1.35, 1.05, 0.9, 0.95, 1.15, 1.6)
_WEEKDAY = (1.05, 1.0, 0.98, 0.97, 0.95, 1.0, 1.1)
_HOURS = (2, 1, 0.5, 0.3, 0.3, 0.5, 1, 2, 3, 4, 5, 5, 6, 5, 4.5, 4.5, 4.5, 4.5, 5, 6, 7, 8, 7, 4)
_STORE_HOURS = (0,) * 10 + (3, 4, 5, 4, 4, 4, 4, 5, 5, 3) + (0,) * 4


@dataclass(frozen=True)
class Calendar:
    """Days of the simulated window and their shopping intensity (``mass``: cumulative, per day)."""

    today: date
    first: date
    epoch: int
    months: np.ndarray
    mass: np.ndarray
    growth_mass: np.ndarray
    sale: np.ndarray
    gift: np.ndarray

    @property
    def days(self) -> int:
        return WINDOW_DAYS

    @property
    def end(self) -> int:
        """The end of the window (midnight starting "today") in seconds."""
        return WINDOW_DAYS * DAY

    def day_at(self, mass: np.ndarray, cumulative: np.ndarray | None = None) -> np.ndarray:
        """The day on which cumulative intensity reaches ``mass``."""
        table = self.mass if cumulative is None else cumulative
        return np.clip(np.searchsorted(table, mass, side="right") - 1, 0, WINDOW_DAYS - 1)

    def clock(self, rng: np.random.Generator, days: np.ndarray, store: np.ndarray | None = None):
        """Window seconds at a busy-hour-weighted time on ``days`` (shop hours where ``store``)."""
        hours = _draw(rng, _HOUR_CDF, len(days))
        if store is not None and store.any():
            hours = np.where(store, _draw(rng, _STORE_CDF, len(days)), hours)
        return days.astype(np.int64) * DAY + hours * 3600 + rng.integers(0, 3600, len(days))

    def to_datetimes(self, seconds: np.ndarray) -> list[datetime]:
        """Aware UTC datetimes for window seconds."""
        return [datetime.fromtimestamp(s, UTC) for s in (seconds + self.epoch).tolist()]

    def to_dates(self, seconds: np.ndarray) -> list[date]:
        """Shop-local dates for window seconds."""
        return [self.first + timedelta(days=d) for d in (seconds // DAY).tolist()]


_HOUR_CDF = np.cumsum(_HOURS) / sum(_HOURS)
_STORE_CDF = np.cumsum(_STORE_HOURS) / sum(_STORE_HOURS)


def _draw(rng: np.random.Generator, cdf: np.ndarray, size: int) -> np.ndarray:
    return np.minimum(np.searchsorted(cdf, rng.random(size), side="right"), len(cdf) - 1)


def make_calendar(today: date) -> Calendar:
    """The two years before ``today`` with their daily shopping and registration intensity."""
    first = today - timedelta(days=WINDOW_DAYS)
    dates = [first + timedelta(days=i) for i in range(WINDOW_DAYS)]
    months = np.array([d.month for d in dates])
    mdays = np.array([d.day for d in dates])
    weight = np.array(_MONTH)[months - 1] * np.array(_WEEKDAY)[[d.weekday() for d in dates]]
    black_friday = np.array([_is_black_friday(d) for d in dates])
    new_year = (months == 1) & (mdays <= 3)
    weight *= np.where(new_year | black_friday, 1.5, 1.0)
    weight *= np.where((months == 12) & (mdays >= 15) & (mdays <= 24), 1.3, 1.0)
    weight *= np.where(mdays % 5 == 0, 1.08, 1.0)  # 5と0のつく日: point-up days
    growth = weight * (0.8 + 0.4 * np.arange(WINDOW_DAYS) / WINDOW_DAYS)
    sale = (
        new_year | black_friday | ((months == 1) & (mdays <= 7)) | ((months == 7) & (mdays <= 10))
    )
    gift = (months == 12) & (mdays <= 24) | (months == 7) | ((months == 8) & (mdays <= 15))
    return Calendar(
        today=today, first=first, epoch=int(start_of_day(first).timestamp()), months=months,
        mass=_cumulative(weight), growth_mass=_cumulative(growth), sale=sale, gift=gift,
    )  # fmt: skip


def _cumulative(weight: np.ndarray) -> np.ndarray:
    """Cumulative intensity at day boundaries, scaled so that one average day weighs 1."""
    cum = np.concatenate([[0.0], np.cumsum(weight)])
    return cum * (len(weight) / cum[-1])


def _is_black_friday(day: date) -> bool:
    """Black Friday (the fourth Friday of November) to the following Monday."""
    fourth_friday = 22 + (4 - date(day.year, 11, 1).weekday()) % 7
    start = date(day.year, 11, fourth_friday)
    return start <= day <= start + timedelta(days=3)
