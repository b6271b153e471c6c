"""The facts journey conditions read, loaded in bulk for a batch of enrolments.

The conditions themselves are pure functions in ``registry.CONDITIONS``; each names the facts it
``needs``. ``needs_of(journey)`` collects them for a journey and ``load_facts`` reads only those,
a few queries per batch whatever its size. Facts:

* ``orders_since_enrolment``: orders (not cancelled) placed at or after the enrolment began;
* ``rank``: the customer's rank in the latest analytics rank snapshot (None before any);
* ``age``: whole years on the shop-local date; ``is_member``; ``attributes`` (the customer's);
* ``consented_channels``: channels whose latest consent change is a grant;
* ``stage``: the loyalty member stage; ``points``: the spendable points balance.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from kizuna.analytics.models import RankSpell
from kizuna.automation.journeys.definition import Branch, Check, Journey
from kizuna.automation.journeys.models import Enrolment
from kizuna.automation.journeys.registry import CONDITIONS
from kizuna.customers.models import ConsentChange, Customer
from kizuna.kit.bulk import chunks
from kizuna.kit.clock import to_shop_tz
from kizuna.loyalty.models import LoyaltyAccount, PointLot
from kizuna.orders.models import Order
from kizuna.settings import get_settings

Facts = dict[str, Any]


def needs_of(journey: Journey) -> set[str]:
    """The facts the conditions of ``journey`` read."""
    needs: set[str] = set()
    for step in journey.steps:
        conditions = [step.condition] if isinstance(step, Check) else []
        if isinstance(step, Branch):
            conditions += [p.condition for p in step.paths if p.condition is not None]
        for condition in conditions:
            needs.update(CONDITIONS[condition.type].needs)
    return needs


def age_on(born: date | None, day: date) -> int | None:
    """Whole years from ``born`` to ``day``."""
    if born is None:
        return None
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def load_facts(
    session: Session, enrolments: Sequence[Enrolment], needs: set[str], at: datetime
) -> dict[int, Facts]:
    """``{enrolment id: facts}`` for the facts in ``needs``."""
    facts: dict[int, Facts] = {e.id: {} for e in enrolments}
    if not needs or not enrolments:
        return facts
    for part in chunks(list(enrolments), 2000):
        customers = sorted({e.customer_id for e in part})
        per_customer: dict[int, Facts] = {c: {} for c in customers}
        if needs & {"age", "is_member", "attributes"}:
            _customer_facts(session, customers, per_customer, at)
        if "rank" in needs:
            _ranks(session, customers, per_customer)
        if "consented_channels" in needs:
            _consents(session, customers, per_customer)
        if "stage" in needs:
            rows = select(LoyaltyAccount.customer_id, LoyaltyAccount.stage)
            for cid, stage in session.execute(
                rows.where(LoyaltyAccount.customer_id.in_(customers))
            ):
                per_customer[cid]["stage"] = stage
        if "points" in needs:
            _points(session, customers, per_customer, at)
        for e in part:
            facts[e.id].update(per_customer[e.customer_id])
        if "orders_since_enrolment" in needs:
            _orders_since(session, part, facts)
    return facts


def _customer_facts(
    session: Session, customers: list[int], out: dict[int, Facts], at: datetime
) -> None:
    day = to_shop_tz(at, get_settings().shop_timezone).date()
    stmt = select(Customer.id, Customer.birth_date, Customer.is_member, Customer.attributes)
    for cid, born, member, attributes in session.execute(stmt.where(Customer.id.in_(customers))):
        out[cid].update(age=age_on(born, day), is_member=bool(member), attributes=attributes or {})


def _ranks(session: Session, customers: list[int], out: dict[int, Facts]) -> None:
    stmt = select(RankSpell.customer_id, RankSpell.rank).where(
        RankSpell.customer_id.in_(customers), RankSpell.valid_to.is_(None)
    )
    for cid, rank in session.execute(stmt):
        out[cid]["rank"] = rank


def _consents(session: Session, customers: list[int], out: dict[int, Facts]) -> None:
    latest: dict[tuple[int, str], bool] = {}
    stmt = (
        select(ConsentChange.customer_id, ConsentChange.channel, ConsentChange.granted)
        .where(ConsentChange.customer_id.in_(customers))
        .order_by(ConsentChange.changed_at, ConsentChange.id)
    )
    for cid, channel, granted in session.execute(stmt):
        latest[(cid, channel)] = bool(granted)
    for cid in customers:
        out[cid]["consented_channels"] = sorted(
            ch for (c, ch), granted in latest.items() if c == cid and granted
        )


def _points(session: Session, customers: list[int], out: dict[int, Facts], at: datetime) -> None:
    stmt = (
        select(PointLot.customer_id, func.sum(PointLot.remaining))
        .where(
            PointLot.customer_id.in_(customers),
            PointLot.remaining != 0,
            or_(PointLot.expires_at.is_(None), PointLot.expires_at > at),
        )
        .group_by(PointLot.customer_id)
    )
    for cid in customers:
        out[cid]["points"] = 0
    for cid, points in session.execute(stmt):
        out[cid]["points"] = int(points or 0)


def _orders_since(session: Session, part: Sequence[Enrolment], facts: dict[int, Facts]) -> None:
    customers = sorted({e.customer_id for e in part})
    earliest = min(e.entered_at for e in part)
    placed: dict[Any, list[datetime]] = {}
    stmt = select(Order.customer_id, Order.placed_at).where(
        Order.customer_id.in_(customers),
        Order.placed_at >= earliest,
        Order.status != "cancelled",
    )
    for cid, moment in session.execute(stmt):
        placed.setdefault(cid, []).append(moment)
    for e in part:
        since = [m for m in placed.get(e.customer_id, []) if m >= e.entered_at]
        facts[e.id]["orders_since_enrolment"] = len(since)
