"""Field parsers shared by every import kind: each returns a value or raises ValueError with the
reason a person can act on. Hot parsers cache by text, since real files repeat values a lot."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from kizuna.kit import jp
from kizuna.kit.money import to_minor

TRUE = {"1", "true", "yes", "y", "t", "はい", "有", "あり", "○", "on"}
FALSE = {"0", "false", "no", "n", "f", "いいえ", "無", "なし", "×", "off", ""}
GENDERS = {
    "female": "female", "f": "female", "女": "female", "女性": "female", "2": "female",
    "male": "male", "m": "male", "男": "male", "男性": "male", "1": "male",
    "other": "other", "その他": "other", "unknown": "unknown", "": "unknown", "0": "unknown",
}  # fmt: skip


# The record stores amounts and quantities as 32-bit integers (PostgreSQL INTEGER).
MAX_INT = 2**31 - 1
# Spreadsheet exports write dates without zero padding: 2024/1/5 9:05.
_LOOSE_DATETIME = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{1,2})(?::(\d{1,2}))?)?$"
)


@lru_cache(maxsize=200_000)
def parse_datetime(text: str, zone: str) -> datetime:
    """ISO-like date-time (``2024-01-05 10:00``, ``2024/01/05``, ``2024/1/5 9:05``, ``20240105``)
    as aware UTC; a naive value is read in the shop's (or preset's) ``zone``."""
    cleaned = jp.nfkc(text).strip().replace("/", "-")
    try:
        moment = _from_text(cleaned)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo(zone))
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ValueError(f"{text!r} is not a date-time (use YYYY-MM-DD HH:MM:SS)") from None


def _from_text(cleaned: str) -> datetime:
    try:
        return datetime.fromisoformat(cleaned)
    except ValueError:
        match = _LOOSE_DATETIME.match(cleaned)
        if match is None:
            raise
        year, month, day, hour, minute, second = (int(part or 0) for part in match.groups())
        return datetime(year, month, day, hour, minute, second)  # noqa: DTZ001 - zone added by caller


@lru_cache(maxsize=100_000)
def parse_date(text: str) -> date:
    """``2024-01-05``, ``2024/1/5`` or ``20240105``."""
    cleaned = jp.nfkc(text).strip().replace("/", "-")
    parts = cleaned.split("-")
    try:
        if len(parts) == 3:
            return date(int(parts[0]), int(parts[1]), int(parts[2]))
        return date.fromisoformat(cleaned)
    except ValueError:
        raise ValueError(f"{text!r} is not a date (use YYYY-MM-DD)") from None


@lru_cache(maxsize=100_000)
def parse_money(text: str, currency: str) -> int:
    """A non-negative amount in minor units."""
    value = to_minor(text, currency)
    if value < 0:
        raise ValueError(f"{text!r} is negative; amounts must be 0 or more")
    if value > MAX_INT:
        raise ValueError(f"{text!r} is too large (at most {MAX_INT:,} in minor units)")
    return value


def parse_int(text: str) -> int:
    """A whole number (full-width digits and thousands separators accepted), within 32 bits."""
    try:
        value = int(text)
    except ValueError:
        try:
            value = int(jp.nfkc(text).replace(",", "").strip())
        except ValueError:
            raise ValueError(f"{text!r} is not a whole number") from None
    if abs(value) > MAX_INT:
        raise ValueError(f"{text!r} is too large (at most {MAX_INT:,})")
    return value


def parse_bool(text: str) -> bool:
    """yes/no in English or Japanese, 1/0, true/false."""
    key = jp.nfkc(text).strip().lower()
    if key in TRUE:
        return True
    if key in FALSE:
        return False
    raise ValueError(f"{text!r} is not yes/no (use 1 or 0)")


def parse_gender(text: str) -> str:
    """female / male / other / unknown (also 女・男, F/M, 2/1 as in JIS X 0303)."""
    key = jp.nfkc(text).strip().lower()
    if key not in GENDERS:
        raise ValueError(f"{text!r} is not a gender (female, male, other or unknown)")
    return GENDERS[key]


def parse_json_object(text: str) -> dict[str, Any]:
    """A JSON object (empty text is ``{}``)."""
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc.msg} at character {exc.pos}") from None
    if not isinstance(value, dict):
        raise ValueError('must be a JSON object like {"key": "value"}')
    return value


def parse_currency(text: str) -> str:
    """An ISO 4217 code such as ``JPY`` (three letters, upper-cased)."""
    code = jp.nfkc(text).strip().upper()
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise ValueError(f"{text!r} is not a currency code (three letters, e.g. JPY)")
    return code


def parse_choice(text: str, choices: tuple[str, ...], default: str) -> str:
    """One of ``choices`` (case-insensitive); empty text gives ``default``."""
    key = text.strip().lower() or default
    if key not in choices:
        raise ValueError(f"{text!r} is not one of {', '.join(choices)}")
    return key
