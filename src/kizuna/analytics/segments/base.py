"""What segment predicates are built on: the compilation context and the predicate base."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import ibis
import ibis.expr.types as ir
from ibis.backends import BaseBackend
from pydantic import BaseModel, ConfigDict


@dataclass(frozen=True)
class Context:
    """What predicates compile against: the engine, the day, and the per-customer base table."""

    con: BaseBackend
    as_of: date
    base: ir.Table
    zone: str | None = None

    def since(self, days: int | None) -> date | None:
        """The first day of a window of ``days`` days ending on ``as_of`` (None: no window)."""
        return None if days is None else self.as_of - timedelta(days=days - 1)

    def member_of(self, ids: ir.Table) -> ir.BooleanValue:
        """``base.customer_id IN (ids.customer_id)``."""
        return self.base.customer_id.isin(ids.customer_id)


class Predicate(BaseModel):
    """Base of the leaves. ``to_ibis`` must never yield null (test missing values explicitly),
    so that NOT and OR behave and engines can plan ``IN (subquery)`` as a semi-join."""

    model_config = ConfigDict(extra="forbid")

    @property
    def label(self) -> str:  # pragma: no cover - every predicate overrides it
        raise NotImplementedError

    def to_ibis(self, ctx: Context) -> ir.BooleanValue:  # pragma: no cover
        raise NotImplementedError


def _between(column: ir.NumericValue, low: float | None, high: float | None) -> ir.BooleanValue:
    parts = [column.notnull()]
    if low is not None:
        parts.append(column >= low)
    if high is not None:
        parts.append(column <= high)
    return ibis.and_(*parts)


def _range(low: object, high: object) -> str:
    return f"{'' if low is None else low}–{'' if high is None else high}"
