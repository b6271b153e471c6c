"""Integer arithmetic for points and yen: percentages with an explicit rounding mode.

Pure functions; no database, no clock. Money and points are integers throughout; a percentage is
a ``Decimal`` so that ``1.5`` means exactly one and a half percent.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from typing import Literal

Rounding = Literal["floor", "half_up", "ceil"]
_MODES = {"floor": ROUND_FLOOR, "half_up": ROUND_HALF_UP, "ceil": ROUND_CEILING}


def rounded(value: Decimal, mode: Rounding = "floor") -> int:
    """``value`` as an integer, rounded by ``mode`` (``floor`` is 切り捨て, the usual in Japan)."""
    return int(value.quantize(Decimal(1), rounding=_MODES[mode]))


def percent_of(amount: int, percent: Decimal | int, mode: Rounding = "floor") -> int:
    """``percent`` % of ``amount``, rounded once: ``percent_of(3333, Decimal("1.5")) == 49``."""
    return rounded(Decimal(amount) * Decimal(percent) / 100, mode)


def pro_rata(total: int, part: int, whole: int, mode: Rounding = "floor") -> int:
    """``total × part / whole`` rounded by ``mode``; ``total`` when ``part >= whole`` or no whole.

    Used cumulatively for partial returns so that the sum of the steps always equals the total
    once everything has come back (see ``ledger.reversal``).
    """
    if whole <= 0 or part >= whole:
        return total
    if part <= 0:
        return 0
    return rounded(Decimal(total) * part / whole, mode)
