"""Calendar arithmetic for expiry and qualification periods, in the shop's time zone.

Days are cut in the shop's zone (Asia/Tokyo by default): a point "valid through 2027-03-31"
expires at 2027-04-01 00:00 JST. Pure functions apart from reading the zone from settings.
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta

from kizuna.kit.clock import start_of_day, to_shop_tz
from kizuna.settings import get_settings


def zone() -> str:
    """The shop's IANA zone name."""
    return get_settings().shop_timezone


def local_date(moment: datetime) -> date:
    """The shop-local calendar date of an aware instant."""
    return to_shop_tz(moment, zone()).date()


def day_start(day: date) -> datetime:
    """00:00 of ``day`` in the shop's zone, as aware UTC."""
    return start_of_day(day, zone())


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months``, clipped to the month's end (Jan 31 + 1 month = Feb 28/29)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def month_end(day: date) -> date:
    """The last day of ``day``'s month."""
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def first_of_next_month(day: date) -> date:
    """The first day of the month after ``day``'s (or ``day`` itself when it is the 1st)."""
    return day if day.day == 1 else month_end(day) + timedelta(days=1)


def year_bounds(day: date, start_month: int) -> tuple[date, date]:
    """``(first day, last day)`` of the (fiscal) year starting in ``start_month`` that holds
    ``day``: with April, 2026-11-25 → (2026-04-01, 2027-03-31)."""
    year = day.year if day.month >= start_month else day.year - 1
    first = date(year, start_month, 1)
    return first, add_months(first, 12) - timedelta(days=1)


def rolling_start(day: date, months: int) -> date:
    """First day inside a rolling window of ``months`` ending on ``day`` (inclusive)."""
    return add_months(day, -months) + timedelta(days=1)


def rolling_drop(day: date, months: int) -> date:
    """The first date whose rolling window no longer holds ``day`` (the inverse of
    ``rolling_start``, exact at month ends)."""
    candidate = add_months(day, months)
    while rolling_start(candidate, months) <= day:
        candidate += timedelta(days=1)
    while rolling_start(candidate - timedelta(days=1), months) > day:
        candidate -= timedelta(days=1)
    return candidate
