"""Money is an integer number of the currency's minor unit (yen have none). Rounding lives here."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

MINOR_UNIT_DIGITS = {"JPY": 0, "KRW": 0, "USD": 2, "GBP": 2, "EUR": 2}
SYMBOLS = {"JPY": "¥", "USD": "$", "GBP": "£", "EUR": "€", "KRW": "₩"}


def minor_digits(currency: str) -> int:
    """How many decimal digits the currency's minor unit has (2 for unknown currencies)."""
    return MINOR_UNIT_DIGITS.get(currency.upper(), 2)


def to_minor(text: str, currency: str = "JPY") -> int:
    """A decimal amount such as ``"2.55"`` in minor units (half-up); ValueError if not one."""
    try:
        value = Decimal(text.strip().replace(",", "").replace("¥", "").replace("￥", ""))
    except InvalidOperation:
        raise ValueError(f"{text!r} is not an amount") from None
    if not value.is_finite():
        raise ValueError(f"{text!r} is not an amount")
    scaled = value.scaleb(minor_digits(currency))
    return int(scaled.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def format_money(amount: int, currency: str = "JPY") -> str:
    """``format_money(3200) == "¥3,200"``; ``format_money(255, "GBP") == "£2.55"``."""
    digits = minor_digits(currency)
    symbol = SYMBOLS.get(currency.upper(), currency.upper() + " ")
    sign = "-" if amount < 0 else ""
    whole, frac = divmod(abs(amount), 10**digits) if digits else (abs(amount), 0)
    text = f"{whole:,}" + (f".{frac:0{digits}d}" if digits else "")
    return f"{sign}{symbol}{text}"


def format_yen(amount: int) -> str:
    """``format_yen(3200) == "¥3,200"``."""
    return format_money(amount, "JPY")
