"""Extended warranties: plans sold as a product with an order line, enrolments of the covered
lines, claims, and cancellation when the goods come back.

A plan is a product SKU (``WARRANTY-3Y``) with a term, a list price and what it covers. When an
order contains a plan's SKU, ``enrol_order`` covers the nearest preceding line that is goods
(the storefront puts the warranty right after the item it protects); ``do_enrol`` names the
line explicitly. Cover runs from the order date for ``term_months`` (shop dates, inclusive).
Claims live in ``warranty_claims``, reports in ``warranty_reports``.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.catalog.service import ensure_skus
from kizuna.kit.clock import now, to_shop_tz
from kizuna.kit.errors import Conflict, NotFound, ValidationFailed
from kizuna.kit.locking import lock_key
from kizuna.orders.aftersales_models import (
    WarrantyEnrolment,
    WarrantyPlan,
)
from kizuna.orders.models import Order, OrderLine

COVERAGE = ("defects", "accidental_damage", "water_damage", "battery", "theft", "onsite_repair")


@dataclass(frozen=True, slots=True)
class PlanIn:
    """A warranty plan: sold as product ``sku`` for ``price`` yen, covering ``coverage`` for
    ``term_months``; at most ``max_claims`` claims (None: no limit)."""

    code: str
    sku: str
    name_ja: str
    name_en: str
    term_months: int
    price: int
    coverage: tuple[str, ...] = ("defects",)
    max_claims: int | None = None


def add_months(day: date, months: int) -> date:
    """``day`` moved by ``months`` (the last day of the month when it is shorter)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def cover_period(start: date, term_months: int) -> tuple[date, date]:
    """First and last day of cover: ``start`` to the day before ``start`` + term."""
    return start, add_months(start, term_months) - timedelta(days=1)


def _check_plan(plan: PlanIn) -> None:
    if not plan.code.strip() or not plan.sku.strip():
        raise ValidationFailed("a plan needs a code and a sku", field="code")
    if not 1 <= plan.term_months <= 120:
        raise ValidationFailed(
            f"term_months {plan.term_months} is out of range 1–120", field="term_months"
        )
    if plan.price < 0:
        raise ValidationFailed("the price cannot be negative", field="price")
    unknown = sorted(set(plan.coverage) - set(COVERAGE))
    if not plan.coverage or unknown:
        raise ValidationFailed(
            f"coverage must be some of {', '.join(COVERAGE)}"
            + (f"; {unknown[0]!r} is not" if unknown else ""),
            field="coverage",
        )
    if plan.max_claims is not None and plan.max_claims < 1:
        raise ValidationFailed("max_claims must be at least 1", field="max_claims")


def do_create_plan(session: Session, plan: PlanIn, *, actor: str) -> WarrantyPlan:
    """Store a plan (and its product, when the catalog lacks the SKU)."""
    _check_plan(plan)
    taken = session.scalar(
        select(WarrantyPlan.code).where(
            (WarrantyPlan.code == plan.code) | (WarrantyPlan.sku == plan.sku)
        )
    )
    if taken is not None:
        raise Conflict(f"a plan with code {plan.code!r} or sku {plan.sku!r} exists", field="code")
    ensure_skus(session, {plan.sku: plan.name_ja})
    row = WarrantyPlan(
        code=plan.code,
        sku=plan.sku,
        name_ja=plan.name_ja,
        name_en=plan.name_en,
        term_months=plan.term_months,
        price=plan.price,
        coverage=list(plan.coverage),
        max_claims=plan.max_claims,
        active=True,
        created_by=actor,
    )
    session.add(row)
    session.flush()
    return row


def _plan(session: Session, code: str) -> WarrantyPlan:
    plan = session.scalar(select(WarrantyPlan).where(WarrantyPlan.code == code))
    if plan is None:
        raise NotFound(f"there is no warranty plan {code!r}", field="plan")
    return plan


def _enrolment(
    session: Session,
    order: Order,
    line: OrderLine,
    plan: WarrantyPlan,
    warranty_line: OrderLine | None,
    price: int | None,
) -> WarrantyEnrolment:
    known = session.scalar(
        select(WarrantyEnrolment).where(
            WarrantyEnrolment.order_id == order.id, WarrantyEnrolment.line_no == line.line_no
        )
    )
    if known is not None:
        return known
    start, end = cover_period(to_shop_tz(order.placed_at).date(), plan.term_months)
    paid = (
        price
        if price is not None
        else (warranty_line.amount if warranty_line is not None else plan.price)
    )
    row = WarrantyEnrolment(
        plan_id=plan.id,
        order_id=order.id,
        customer_id=order.customer_id,
        line_no=line.line_no,
        sku=line.sku,
        warranty_line_no=warranty_line.line_no if warranty_line else None,
        price=paid,
        starts_on=start,
        ends_on=end,
        status="active",
    )
    session.add(row)
    session.flush()
    return row


def _order_lines(session: Session, order_number: str) -> tuple[Order, dict[int, OrderLine]]:
    order = session.scalar(select(Order).where(Order.order_number == order_number))
    if order is None:
        raise NotFound(f"there is no order {order_number!r}", field="order_number")
    lines = session.scalars(select(OrderLine).where(OrderLine.order_id == order.id)).all()
    return order, {ln.line_no: ln for ln in lines}


def do_enrol(
    session: Session,
    order_number: str,
    line_no: int,
    plan_code: str,
    *,
    warranty_line_no: int | None = None,
    price: int | None = None,
) -> WarrantyEnrolment:
    """Cover line ``line_no`` of the order with the plan (once per line)."""
    plan = _plan(session, plan_code)
    order, lines = _order_lines(session, order_number)
    if order.status == "cancelled":
        raise ValidationFailed(f"order {order_number} was cancelled", field="order_number")
    line = lines.get(line_no)
    if line is None or line.sku == plan.sku:
        raise ValidationFailed(f"order {order_number} has no goods line {line_no}", field="line_no")
    warranty_line = lines.get(warranty_line_no) if warranty_line_no is not None else None
    if warranty_line_no is not None and (warranty_line is None or warranty_line.sku != plan.sku):
        raise ValidationFailed(
            f"line {warranty_line_no} does not sell plan {plan_code}", field="warranty_line_no"
        )
    lock_key(session, "warranty", str(order.id))
    return _enrolment(session, order, line, plan, warranty_line, price)


def enrol_order(session: Session, order_id: int) -> list[WarrantyEnrolment]:
    """Enrol every warranty sold on the order: each plan line covers the nearest goods line
    before it not yet covered. Safe to repeat."""
    order = session.get(Order, order_id)
    if order is None:
        raise NotFound(f"there is no order #{order_id}", field="order_id")
    if order.status == "cancelled":
        return []
    lines = session.scalars(
        select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.line_no)
    ).all()
    plans = {
        p.sku: p
        for p in session.scalars(
            select(WarrantyPlan).where(WarrantyPlan.sku.in_({ln.sku for ln in lines}))
        )
    }
    if not plans:
        return []
    lock_key(session, "warranty", str(order.id))
    covered = set(
        session.scalars(
            select(WarrantyEnrolment.line_no).where(WarrantyEnrolment.order_id == order.id)
        )
    )
    out = []
    for i, line in enumerate(lines):
        plan = plans.get(line.sku)
        if plan is None:
            continue
        goods = next(
            (g for g in reversed(lines[:i]) if g.sku not in plans and g.line_no not in covered),
            None,
        )
        if goods is not None:
            covered.add(goods.line_no)
            out.append(_enrolment(session, order, goods, plan, line, None))
    return out


def do_cancel_enrolment(
    session: Session, enrolment_id: int, *, at: datetime | None = None
) -> WarrantyEnrolment:
    """End the cover (the goods were returned, or the customer withdrew)."""
    row = get_enrolment(session, enrolment_id)
    if row.status != "cancelled":
        row.status, row.cancelled_at = "cancelled", at or now()
    return row


def get_enrolment(session: Session, enrolment_id: int) -> WarrantyEnrolment:
    """The enrolment, or NotFound."""
    row = session.get(WarrantyEnrolment, enrolment_id)
    if row is None:
        raise NotFound(f"there is no warranty enrolment #{enrolment_id}", field="enrolment_id")
    return row
