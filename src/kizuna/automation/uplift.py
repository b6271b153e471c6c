"""Holdout assignment log and uplift measurement over the record.

``assign`` writes one ``experiment_assignments`` row per (experiment, customer) the first time
the customer is eligible (later calls keep the first row); ``measure`` reads the assignments
and the orders placed within ``days`` after each assignment, and compares the arms
(``experiments.compare``). Revenue is in the shop currency's minor unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.automation.experiments import DEFAULT_HOLDOUT, ArmStats, Uplift, arm_for, compare
from kizuna.automation.models import ExperimentAssignment
from kizuna.kit.bulk import Bulk, chunks
from kizuna.kit.clock import now
from kizuna.orders.models import Order


def assign(
    session: Session,
    experiment: str,
    customer_ids: Sequence[int],
    *,
    holdout_share: float = DEFAULT_HOLDOUT,
    at: datetime | None = None,
) -> dict[int, str]:
    """``{customer_id: arm}``; logs the customers not assigned to ``experiment`` before."""
    bulk = Bulk(session)
    arms: dict[int, str] = {}
    unique = sorted(set(customer_ids))
    for part in chunks(unique, 5000):
        rows = session.execute(
            select(ExperimentAssignment.customer_id, ExperimentAssignment.arm).where(
                ExperimentAssignment.experiment == experiment,
                ExperimentAssignment.customer_id.in_(part),
            )
        )
        arms.update({cid: arm for cid, arm in rows})
    new = [(cid, arm_for(experiment, cid, holdout_share)) for cid in unique if cid not in arms]
    stamp = bulk.time(at or now())
    bulk.executemany(
        "INSERT INTO experiment_assignments "
        "(experiment, customer_id, arm, variant, holdout_share, assigned_at) "
        "VALUES (?, ?, ?, '', ?, ?) ON CONFLICT (experiment, customer_id) DO NOTHING",
        [(experiment, cid, arm, holdout_share, stamp) for cid, arm in new],
    )
    arms.update(new)
    return arms


def measure(
    session: Session,
    experiment: str,
    *,
    days: int = 7,
    confidence: float = 0.95,
    as_of: datetime | None = None,
) -> Uplift:
    """Conversion and revenue per customer, treatment vs holdout, within ``days`` after
    assignment (customers whose window has not closed by ``as_of`` count what they did so far)."""
    assigned = {
        cid: (arm, at)
        for cid, arm, at in session.execute(
            select(
                ExperimentAssignment.customer_id,
                ExperimentAssignment.arm,
                ExperimentAssignment.assigned_at,
            ).where(ExperimentAssignment.experiment == experiment)
        )
    }
    revenue: dict[int, int] = dict.fromkeys(assigned, 0)
    converted: set[int] = set()
    window, limit = timedelta(days=days), as_of or now()
    stmt = (
        select(Order.customer_id, Order.placed_at, Order.total)
        .join(
            ExperimentAssignment,
            (ExperimentAssignment.customer_id == Order.customer_id)
            & (ExperimentAssignment.experiment == experiment),
        )
        .where(Order.placed_at >= ExperimentAssignment.assigned_at, Order.status != "cancelled")
    )
    for cid, placed_at, total in session.execute(stmt):
        if cid is None:
            continue
        start = assigned[cid][1]
        if placed_at < start + window and placed_at <= limit:
            revenue[cid] += max(total, 0)
            converted.add(cid)
    arms = {
        name: _arm([c for c in assigned if assigned[c][0] == name], revenue, converted)
        for name in ("treatment", "holdout")
    }
    return compare(arms["treatment"], arms["holdout"], confidence)


def _arm(customers: list[int], revenue: dict[int, int], converted: set[int]) -> ArmStats:
    values = [float(revenue[c]) for c in customers]
    return ArmStats(
        len(customers),
        sum(1 for c in customers if c in converted),
        sum(values),
        sum(v * v for v in values),
    )
