"""Segment predicates over the stored CLV predictions (issue 3: predictions as predicates).

The CLV domain sits above analytics, so analytics never imports it: the predictions are read by
table name (``PREDICTIONS_TABLE``, a plain SQL table the CLV domain rewrites after each
``kizuna clv predict``; a test checks the name matches the CLV model). A customer without a
prediction (no purchase yet, or scored before they bought) never matches.
"""

from __future__ import annotations

from typing import Literal

import ibis.expr.types as ir
from pydantic import Field

from kizuna.analytics.segments.base import Context, Predicate, _between, _range

PREDICTIONS_TABLE = "clv_predictions"
MEASURES = {
    "clv": "clv",
    "p_alive": "p_alive",
    "expected_purchases": "expected_purchases",
    "expected_spend": "expected_spend",
}


def _predicted(ctx: Context, column: str, low: float | None, high: float | None) -> ir.BooleanValue:
    table = ctx.con.table(PREDICTIONS_TABLE)
    return ctx.member_of(table.filter(_between(table[column], low, high)).select("customer_id"))


class Clv(Predicate):
    """A predicted value in [min, max]: CLV (minor units), P(alive), purchases or spend."""

    type: Literal["clv"] = "clv"
    measure: Literal["clv", "p_alive", "expected_purchases", "expected_spend"] = "clv"
    min: float | None = None
    max: float | None = None

    @property
    def label(self) -> str:
        return f"Predicted {self.measure} in {_range(self.min, self.max)}"

    def to_ibis(self, ctx: Context) -> ir.BooleanValue:
        return _predicted(ctx, MEASURES[self.measure], self.min, self.max)


class ChurnRisk(Predicate):
    """Churn risk (P(no purchase in the next 90 days), 0–1) in [min, max]."""

    type: Literal["churn_risk"] = "churn_risk"
    min: float | None = Field(default=None, ge=0, le=1)
    max: float | None = Field(default=None, ge=0, le=1)

    @property
    def label(self) -> str:
        return f"Churn risk in {_range(self.min, self.max)}"

    def to_ibis(self, ctx: Context) -> ir.BooleanValue:
        return _predicted(ctx, "churn_risk_90d", self.min, self.max)
