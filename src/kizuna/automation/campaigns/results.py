"""What a campaign did: attribution, uplift over the holdout, per-variant figures and the A/B
winner by significance (``experiments.compare``)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.automation import uplift
from kizuna.automation.campaigns.document import CampaignDoc
from kizuna.automation.campaigns.service import campaign_row
from kizuna.automation.experiments import ArmStats, compare
from kizuna.automation.models import ExperimentAssignment
from kizuna.channels import outbox, tracking
from kizuna.kit.bulk import chunks
from kizuna.kit.clock import now
from kizuna.orders.models import Order


def variant_stats(
    session: Session, key: str, days: int, as_of: datetime | None = None
) -> dict[str, ArmStats]:
    """Conversion and revenue per treated customer, by A/B variant, within ``days``."""
    limit = as_of or now()
    assigned = {
        cid: (variant, at)
        for cid, variant, at in session.execute(
            select(
                ExperimentAssignment.customer_id,
                ExperimentAssignment.variant,
                ExperimentAssignment.assigned_at,
            ).where(
                ExperimentAssignment.experiment == f"campaign:{key}",
                ExperimentAssignment.arm == "treatment",
            )
        )
    }
    revenue = dict.fromkeys(assigned, 0)
    for part in chunks(sorted(assigned), 5000):
        rows: Any = session.execute(
            select(Order.customer_id, Order.placed_at, Order.total).where(
                Order.customer_id.in_(part), Order.status != "cancelled"
            )
        )
        for cid, placed, total in rows:
            start = assigned[cid][1]
            if start <= placed < start + timedelta(days=days) and placed <= limit:
                revenue[cid] += max(total, 0)
    groups: dict[str, list[float]] = {}
    for cid, (variant, _) in assigned.items():
        groups.setdefault(variant or "-", []).append(float(revenue[cid]))
    return {name: ArmStats.from_values(values) for name, values in sorted(groups.items())}


def results(session: Session, key: str, *, as_of: datetime | None = None) -> dict[str, Any]:
    """What the campaign did: counts, attribution, uplift over the holdout with its interval,
    per-variant figures and the A/B winner (only when the best variant beats every other one
    significantly)."""

    row = campaign_row(session, key)
    doc = CampaignDoc.model_validate(row.document)
    days = doc.conversion_days
    lift = uplift.measure(session, f"campaign:{key}", days=days, as_of=as_of)
    attributed = tracking.attribution(session, "campaign", key, days=days, as_of=as_of)
    stats = variant_stats(session, key, days, as_of)
    return {
        "key": key,
        "name": row.name,
        "status": row.status,
        "sent_at": row.sent_at.isoformat() if row.sent_at else None,
        "counts": row.result,
        "sends_by_status": outbox.status_counts(session, "campaign", key),
        "attribution": {
            **asdict(attributed),
            "conversion_rate": attributed.conversion_rate,
            "revenue_per_recipient": attributed.revenue_per_recipient,
        },
        "uplift": lift.to_dict(),
        "variants": {name: s.to_dict() for name, s in stats.items()},
        "winner": winner(stats) if doc.variants else None,
    }


def winner(stats: dict[str, ArmStats]) -> dict[str, Any]:
    """The variant with the best conversion rate, if it beats each other variant significantly."""
    named = {k: v for k, v in stats.items() if k != "-"}
    if len(named) < 2:
        return {"variant": None, "note": "fewer than two variants were sent"}
    best = max(named, key=lambda k: (named[k].rate, named[k].mean))
    notes = []
    for other, s in named.items():
        if other == best:
            continue
        versus = compare(named[best], s)
        if not versus.rate_significant:
            notes.append(f"{best} vs {other}: {versus.note}")
    if notes:
        return {"variant": None, "leader": best, "note": "; ".join(notes)}
    return {
        "variant": best,
        "note": f"{best} converts significantly better than every other variant",
    }
