"""Loyalty reads for the storefront, the API, the CLI and the dashboard. Writes nothing.

``loyalty_status`` is what ``GET /api/loyalty/customers/{id}`` and ``kizuna loyalty status``
show: stage and progress, balance and points expiring soon, benefits. The dashboard's stage
distribution and movements are one grouped query each.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kizuna.customers.service import get_customer
from kizuna.kit.clock import now
from kizuna.loyalty.benefits import benefits_for
from kizuna.loyalty.ledger.balance import Balance, balance
from kizuna.loyalty.models import LoyaltyAccount, StageChange
from kizuna.loyalty.stages import StageStatus, stage_status


@dataclass(frozen=True, slots=True)
class LoyaltyStatus:
    """A member's loyalty at a glance."""

    customer_id: int
    stage: StageStatus
    balance: Balance
    benefits: tuple[dict[str, Any], ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON form (the API's and ``--json``'s)."""
        return {
            "customer_id": self.customer_id,
            "stage": self.stage.as_dict(),
            "points": self.balance.as_dict(),
            "benefits": list(self.benefits),
        }

    def lines(self, language: str = "ja") -> list[str]:
        """Plain-text lines for the CLI."""
        stage, points = self.stage, self.balance
        out = [
            f"{stage.stage_name[language]} ({stage.stage})",
            stage.message[language],
            f"points: {points.points:,} (held {points.held:,}, debt {points.debt:,})",
        ]
        out += [f"expiring {day.isoformat()}: {pts:,}" for day, pts in points.expiring]
        if stage.lapse_date:
            out.append(f"stage lapses: {stage.lapse_date.isoformat()}")
        out += [f"・{b['label'][language]}" for b in self.benefits]
        return out


def loyalty_status(
    session: Session, customer_id: int, *, at: datetime | None = None
) -> LoyaltyStatus:
    """Stage, progress, balance, expiring points and benefits of one member."""
    at = at or now()
    get_customer(session, customer_id)
    benefits = tuple(
        {"type": b.type, "label": b.label, "data": b.data}
        for b in benefits_for(session, customer_id, at=at)
    )
    return LoyaltyStatus(
        customer_id=customer_id,
        stage=stage_status(session, customer_id, at=at),
        balance=balance(session, customer_id, at=at),
        benefits=benefits,
    )


def stage_distribution(session: Session) -> dict[str, int]:
    """Members per stage as last evaluated (``"unevaluated"`` for accounts without one)."""
    rows = session.execute(
        select(LoyaltyAccount.stage, func.count()).group_by(LoyaltyAccount.stage)
    ).all()
    return {stage or "unevaluated": int(count) for stage, count in rows}


def stage_movements(
    session: Session, since: datetime, until: datetime | None = None
) -> list[dict[str, Any]]:
    """Stage changes between two instants, counted by (from, to, reason)."""
    query = (
        select(StageChange.from_stage, StageChange.to_stage, StageChange.reason, func.count())
        .where(StageChange.at >= since, StageChange.at < (until or now()))
        .group_by(StageChange.from_stage, StageChange.to_stage, StageChange.reason)
        .order_by(func.count().desc())
    )
    return [
        {"from": f, "to": t, "reason": r, "members": int(n)}
        for f, t, r, n in session.execute(query)
    ]
