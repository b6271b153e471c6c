"""The ``warranty_expiring`` trigger and ready-made journey on SQLite and PostgreSQL: an active
extended warranty ending N days ahead (shop dates) enrols its customer once per enrolment, and
the reminder names the product, the plan and the last covered day."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.automation.journeys import runner
from kizuna.automation.journeys.enrol import scan_journey
from kizuna.automation.journeys.models import Enrolment, StepProgress
from kizuna.automation.journeys.store import load
from kizuna.channels.models import OutboxMessage
from kizuna.customers.models import Customer
from kizuna.orders.aftersales_models import WarrantyEnrolment, WarrantyPlan

from .factories import NOON, add_customers, add_order, add_products, days, switch_on

# NOON is 2024-06-03 in Tokyo: 30 days ahead is 2024-07-03
IN_30_DAYS = date(2024, 7, 3)


def _plan(session: Session) -> WarrantyPlan:
    plan = WarrantyPlan(
        code="EXT3",
        sku="WARRANTY-3Y",
        name_ja="3年延長保証",
        name_en="3-year extended warranty",
        term_months=36,
        price=3000,
        coverage=["defects"],
        created_by="test",
    )
    session.add(plan)
    session.flush()
    return plan


def _warranty(
    session: Session, plan: WarrantyPlan, customer_id: int, ends_on: date, status: str = "active"
) -> WarrantyEnrolment:
    order = add_order(session, customer_id, NOON - days(1000))
    row = WarrantyEnrolment(
        plan_id=plan.id,
        order_id=order.id,
        customer_id=customer_id,
        line_no=1,
        sku="TV-1",
        warranty_line_no=2,
        price=plan.price,
        starts_on=date(2021, 7, 4),
        ends_on=ends_on,
        status=status,
        cancelled_at=NOON - days(10) if status == "cancelled" else None,
    )
    session.add(row)
    session.flush()
    return row


def _enrolled(session: Session) -> list[tuple[int, str]]:
    stmt = select(Enrolment.customer_id, Enrolment.occurrence).where(
        Enrolment.journey_key == "warranty_expiring"
    )
    return sorted(tuple(r) for r in session.execute(stmt))  # type: ignore[misc]


class TestWarrantyExpiring:
    def test_a_warranty_ending_in_30_days_is_reminded_once(self, session: Session) -> None:
        add_products(session, ["TV-1"])
        plan = _plan(session)
        due, later, cancelled, lapsed, english = add_customers(session, 5)
        session.get_one(Customer, english).attributes = {"language": "en"}
        first = _warranty(session, plan, due, IN_30_DAYS)
        second = _warranty(session, plan, english, IN_30_DAYS)
        _warranty(session, plan, later, date(2024, 7, 4))  # 31 days ahead
        _warranty(session, plan, cancelled, IN_30_DAYS, status="cancelled")
        _warranty(session, plan, lapsed, date(2024, 5, 31))  # already expired
        switch_on(session, "warranty_expiring", holdout=0.0)
        journey = load(session, "warranty_expiring")

        scan, enrolled = scan_journey(session, journey, at=NOON)
        assert enrolled == 2
        assert _enrolled(session) == sorted([(due, f"w{first.id}"), (english, f"w{second.id}")])
        [entry] = [e for e in scan.entries if e.customer_id == due]
        assert entry.context["warranty_ends_on"] == "2024-07-03"

        runner.tick(session, at=NOON)
        messages = {m.customer_id: m for m in session.scalars(select(OutboxMessage))}
        assert set(messages) == {due, english}
        ja, en = messages[due], messages[english]
        assert (ja.channel, ja.template, ja.language) == ("email", "warranty_expiring", "ja")
        assert (ja.context["product"], ja.context["ends_on"]) == ("商品 TV-1", "2024年7月3日")
        assert ja.context["plan"] == "3年延長保証"
        assert (en.language, en.context["ends_on"], en.context["plan"]) == (
            "en",
            "2024-07-03",
            "3-year extended warranty",
        )

        # scanning again the same day adds nothing
        assert scan_journey(session, journey, at=NOON)[1] == 0
        runner.tick(session, at=NOON)
        assert len(session.scalars(select(OutboxMessage)).all()) == 2
        # the next day's catch-up sees the same warranties again and enrols only the one that
        # is now 30 days from its end
        assert scan_journey(session, journey, at=NOON + days(1))[1] == 1
        assert [c for c, _ in _enrolled(session)] == sorted([due, english, later])

    def test_a_warranty_cancelled_before_the_message_is_skipped(self, session: Session) -> None:
        add_products(session, ["TV-1"])
        plan = _plan(session)
        [cid] = add_customers(session, 1)
        row = _warranty(session, plan, cid, IN_30_DAYS)
        switch_on(session, "warranty_expiring", holdout=0.0)
        scan_journey(session, load(session, "warranty_expiring"), at=NOON)
        row.status = "cancelled"
        session.flush()
        runner.tick(session, at=NOON)
        assert session.scalars(select(OutboxMessage)).all() == []
        outcome = session.scalars(select(StepProgress.outcome)).one()
        assert outcome == "skipped:warranty"

    def test_a_problem_customer_is_held_by_the_guards(self, session: Session) -> None:
        add_products(session, ["TV-1"])
        plan = _plan(session)
        [ok] = add_customers(session, 1)
        [problem] = add_customers(session, 1, start=1, problem=True)
        for cid in (ok, problem):
            _warranty(session, plan, cid, IN_30_DAYS)
        switch_on(session, "warranty_expiring", holdout=0.0)
        scan_journey(session, load(session, "warranty_expiring"), at=NOON)
        runner.tick(session, at=NOON)
        stmt = select(StepProgress.customer_id, StepProgress.outcome)
        assert dict(session.execute(stmt).all()) == {
            ok: "queued",
            problem: "dropped:problem_customer",
        }
        reasons = dict(
            session.execute(select(OutboxMessage.customer_id, OutboxMessage.reason)).all()
        )
        assert reasons == {ok: None, problem: "problem_customer"}
