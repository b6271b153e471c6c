"""Time in one place: aware UTC now, and conversion to the shop's zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo


def now() -> datetime:
    """The current instant, timezone-aware, in UTC."""
    return datetime.now(UTC)


def shop_zone(name: str = "Asia/Tokyo") -> ZoneInfo:
    """The shop's time zone."""
    return ZoneInfo(name)


def to_shop_tz(moment: datetime, zone: str = "Asia/Tokyo") -> datetime:
    """``moment`` shown in the shop's zone (naive datetimes are taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(ZoneInfo(zone))


def start_of_day(day: date, zone: str = "Asia/Tokyo") -> datetime:
    """Midnight of ``day`` in the shop's zone, as an aware UTC datetime."""
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(zone)).astimezone(UTC)
