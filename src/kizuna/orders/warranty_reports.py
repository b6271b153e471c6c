"""Warranty reads: a customer's warranties, covers ending soon (for the expiry-reminder
journey), and warranty revenue against claims for the dashboard. Reads only.

Revenue is counted in the month the order was placed (shop time), less cancelled covers;
claims and their cost in the month the claim was opened. The loss ratio is claim cost over
revenue.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.kit.clock import now, to_shop_tz
from kizuna.orders.aftersales_models import WarrantyClaim, WarrantyEnrolment, WarrantyPlan
from kizuna.orders.models import Order


def status_on(row: WarrantyEnrolment, day: date) -> str:
    """``active``, ``expired``, ``not_started`` or ``cancelled`` on ``day``."""
    if row.status == "cancelled":
        return "cancelled"
    if day > row.ends_on:
        return "expired"
    return "not_started" if day < row.starts_on else "active"


def _view(row: WarrantyEnrolment, plan: WarrantyPlan, number: str, day: date, lang: str) -> dict:
    return {
        "id": row.id,
        "plan": plan.code,
        "plan_name": plan.name_en if lang == "en" else plan.name_ja,
        "coverage": list(plan.coverage),
        "order_number": number,
        "line_no": row.line_no,
        "sku": row.sku,
        "customer_id": row.customer_id,
        "price": row.price,
        "starts_on": row.starts_on,
        "ends_on": row.ends_on,
        "status": status_on(row, day),
        "days_left": max((row.ends_on - day).days, 0),
    }


def customer_warranties(
    session: Session, customer_id: int, *, today: date | None = None, language: str = "ja"
) -> list[dict]:
    """The customer's warranties with their status today, latest cover end first."""
    day = today or to_shop_tz(now()).date()
    rows = session.execute(
        select(WarrantyEnrolment, WarrantyPlan, Order.order_number)
        .join(WarrantyPlan, WarrantyPlan.id == WarrantyEnrolment.plan_id)
        .join(Order, Order.id == WarrantyEnrolment.order_id)
        .where(WarrantyEnrolment.customer_id == customer_id)
        .order_by(WarrantyEnrolment.ends_on.desc(), WarrantyEnrolment.id)
    )
    return [_view(row, plan, number, day, language) for row, plan, number in rows]


def expiring(
    session: Session, *, within_days: int = 30, today: date | None = None, language: str = "ja"
) -> list[dict]:
    """Active covers ending within ``within_days`` days of ``today``, soonest first (the
    expiry-reminder journey sends one message per row and customer)."""
    day = today or to_shop_tz(now()).date()
    rows = session.execute(
        select(WarrantyEnrolment, WarrantyPlan, Order.order_number)
        .join(WarrantyPlan, WarrantyPlan.id == WarrantyEnrolment.plan_id)
        .join(Order, Order.id == WarrantyEnrolment.order_id)
        .where(
            WarrantyEnrolment.status == "active",
            WarrantyEnrolment.ends_on >= day,
            WarrantyEnrolment.ends_on <= day + timedelta(days=within_days),
        )
        .order_by(WarrantyEnrolment.ends_on, WarrantyEnrolment.id)
    )
    return [_view(row, plan, number, day, language) for row, plan, number in rows]


def warranty_revenue(
    session: Session,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    zone: str = "Asia/Tokyo",
) -> dict:
    """Warranties sold, revenue, cancellations, claims and claim cost by month and by plan."""
    sold = (
        select(WarrantyEnrolment, WarrantyPlan.code, Order.placed_at)
        .join(WarrantyPlan, WarrantyPlan.id == WarrantyEnrolment.plan_id)
        .join(Order, Order.id == WarrantyEnrolment.order_id)
    )
    claims = (
        select(WarrantyClaim, WarrantyPlan.code)
        .join(WarrantyEnrolment, WarrantyEnrolment.id == WarrantyClaim.enrolment_id)
        .join(WarrantyPlan, WarrantyPlan.id == WarrantyEnrolment.plan_id)
    )
    if since is not None:
        sold = sold.where(Order.placed_at >= since)
        claims = claims.where(WarrantyClaim.opened_at >= since)
    if until is not None:
        sold = sold.where(Order.placed_at < until)
        claims = claims.where(WarrantyClaim.opened_at < until)
    empty = {"sold": 0, "cancelled": 0, "revenue": 0, "claims": 0, "approved": 0, "claim_cost": 0}
    months: dict[str, dict] = defaultdict(lambda: dict(empty))
    plans: dict[str, dict] = defaultdict(lambda: dict(empty))
    for row, code, placed in session.execute(sold):
        for bucket in (months[to_shop_tz(placed, zone).strftime("%Y-%m")], plans[code]):
            bucket["sold"] += 1
            if row.status == "cancelled":
                bucket["cancelled"] += 1
            else:
                bucket["revenue"] += row.price
    for claim, code in session.execute(claims):
        for bucket in (months[to_shop_tz(claim.opened_at, zone).strftime("%Y-%m")], plans[code]):
            bucket["claims"] += 1
            bucket["approved"] += claim.status in ("approved", "resolved")
            bucket["claim_cost"] += claim.cost
    for bucket in (*months.values(), *plans.values()):
        bucket["loss_ratio"] = (
            round(bucket["claim_cost"] / bucket["revenue"], 4) if bucket["revenue"] else None
        )
    total = {k: sum(b[k] for b in plans.values()) for k in empty}
    return {
        "months": [{"month": m} | months[m] for m in sorted(months)],
        "plans": [{"plan": p} | plans[p] for p in sorted(plans)],
        "total": total,
    }
