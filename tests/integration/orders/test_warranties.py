"""Extended warranties: a plan sold as a product line, enrolments from the order, claims inside
the cover only, expiry reminders, and warranty revenue against claims."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.catalog.models import Product
from kizuna.kit.errors import Conflict, NotFound, ValidationFailed
from kizuna.orders.schemas import LineIn
from kizuna.orders.warranties import (
    PlanIn,
    add_months,
    cover_period,
    do_cancel_enrolment,
    do_create_plan,
    do_enrol,
    enrol_order,
)
from kizuna.orders.warranty_claims import do_decide_claim, do_file_claim, do_resolve_claim
from kizuna.orders.warranty_reports import customer_warranties, expiring, warranty_revenue
from tests.integration.feedback.factories import T0, customer, order

TV = LineIn("TV-55", 1, 120000, 120000, "55型テレビ")
TV_COVER = LineIn("WARRANTY-5Y", 1, 9800, 9800, "延長保証5年")
FRIDGE = LineIn("FRIDGE-1", 1, 150000, 150000, "冷蔵庫")
FRIDGE_COVER = LineIn("WARRANTY-3Y", 1, 6000, 6000, "延長保証3年")
FIVE_YEARS = PlanIn(
    "5y",
    "WARRANTY-5Y",
    "延長保証5年",
    "5-year cover",
    60,
    9800,
    ("defects", "accidental_damage"),
    max_claims=2,
)
THREE_YEARS = PlanIn("3y", "WARRANTY-3Y", "延長保証3年", "3-year cover", 36, 6000)


@pytest.fixture
def plans(session: Session) -> None:
    do_create_plan(session, FIVE_YEARS, actor="m")
    do_create_plan(session, THREE_YEARS, actor="m")


class TestPureDates:
    @pytest.mark.parametrize(
        ("start", "months", "end"),
        [
            pytest.param(date(2026, 5, 10), 12, date(2027, 5, 9), id="one_year"),
            pytest.param(date(2026, 1, 31), 1, date(2026, 2, 27), id="short_month"),
            pytest.param(date(2024, 2, 29), 12, date(2025, 2, 27), id="leap_day"),
            pytest.param(date(2026, 11, 15), 3, date(2027, 2, 14), id="over_new_year"),
        ],
    )
    def test_cover_period(self, start: date, months: int, end: date) -> None:
        assert cover_period(start, months) == (start, end)

    def test_add_months_keeps_the_day_when_it_can(self) -> None:
        assert add_months(date(2026, 3, 31), 1) == date(2026, 4, 30)
        assert add_months(date(2026, 12, 5), 14) == date(2028, 2, 5)


class TestEnrolment:
    def test_each_warranty_line_covers_the_goods_before_it(
        self, session: Session, plans: None
    ) -> None:
        taro = customer(session, "C1")
        order_id = order(session, "C1", "A-1", (TV, TV_COVER, FRIDGE, FRIDGE_COVER))
        made = enrol_order(session, order_id)
        assert [(e.line_no, e.sku, e.warranty_line_no, e.price) for e in made] == [
            (1, "TV-55", 2, 9800),
            (3, "FRIDGE-1", 4, 6000),
        ]
        assert (made[0].starts_on, made[0].ends_on) == (date(2026, 5, 10), date(2031, 5, 9))
        assert made[0].customer_id == taro
        again = enrol_order(session, order_id)
        assert [e.id for e in again] == []  # all covered already: nothing new

    def test_a_plan_is_a_product_in_the_catalog(self, session: Session, plans: None) -> None:
        names = session.execute(
            select(Product.sku, Product.name)
            .where(Product.sku.like("WARRANTY-%"))
            .order_by(Product.sku)
        ).all()
        assert [tuple(n) for n in names] == [
            ("WARRANTY-3Y", "延長保証3年"),
            ("WARRANTY-5Y", "延長保証5年"),
        ]

    def test_explicit_enrolment_and_its_errors(self, session: Session, plans: None) -> None:
        customer(session, "C1")
        order(session, "C1", "A-1", (TV, TV_COVER))
        row = do_enrol(session, "A-1", 1, "5y", warranty_line_no=2)
        assert do_enrol(session, "A-1", 1, "5y").id == row.id
        with pytest.raises(ValidationFailed) as caught:
            do_enrol(session, "A-1", 2, "5y")
        assert caught.value.field == "line_no"
        with pytest.raises(ValidationFailed) as caught:
            do_enrol(session, "A-1", 1, "3y", warranty_line_no=2)
        assert caught.value.field == "warranty_line_no"
        with pytest.raises(NotFound) as caught:
            do_enrol(session, "NOPE", 1, "5y")
        assert caught.value.field == "order_number"
        with pytest.raises(NotFound) as caught:
            do_enrol(session, "A-1", 1, "10y")
        assert caught.value.field == "plan"

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            pytest.param({"term_months": 0}, "term_months", id="no_term"),
            pytest.param({"price": -1}, "price", id="negative_price"),
            pytest.param({"coverage": ("meteor",)}, "coverage", id="unknown_coverage"),
            pytest.param({"max_claims": 0}, "max_claims", id="no_claims"),
        ],
    )
    def test_bad_plans_name_the_field(self, session: Session, changes: dict, field: str) -> None:
        fields = {
            "code": "x",
            "sku": "W-X",
            "name_ja": "保証",
            "name_en": "Cover",
            "term_months": 12,
            "price": 1000,
        }
        with pytest.raises(ValidationFailed) as caught:
            do_create_plan(session, PlanIn(**(fields | changes)), actor="m")
        assert caught.value.field == field

    def test_a_taken_code_is_a_conflict(self, session: Session, plans: None) -> None:
        with pytest.raises(Conflict):
            do_create_plan(session, FIVE_YEARS, actor="m")


class TestClaims:
    @pytest.fixture
    def covered(self, session: Session, plans: None) -> int:
        customer(session, "C1")
        order_id = order(session, "C1", "A-1", (TV, TV_COVER))
        return enrol_order(session, order_id)[0].id

    def test_a_claim_inside_the_cover_is_decided_and_resolved(
        self, session: Session, covered: int
    ) -> None:
        claim = do_file_claim(session, covered, "電源が入らない", at=T0 + timedelta(days=400))
        do_decide_claim(session, claim.id, approve=True, actor="support")
        done = do_resolve_claim(session, claim.id, resolution="repair", cost=18000, actor="support")
        assert (done.status, done.resolution, done.cost) == ("resolved", "repair", 18000)
        with pytest.raises(Conflict):
            do_decide_claim(session, claim.id, approve=False, actor="support", note="x")

    def test_claims_outside_the_cover_or_over_the_limit_are_refused(
        self, session: Session, covered: int
    ) -> None:
        with pytest.raises(Conflict) as caught:
            do_file_claim(session, covered, "画面割れ", at=T0 + timedelta(days=365 * 5 + 2))
        assert (caught.value.code, caught.value.field) == ("warranty_ended", "enrolment_id")
        for day in (10, 20):
            do_file_claim(session, covered, "不具合", at=T0 + timedelta(days=day))
        with pytest.raises(Conflict) as caught:
            do_file_claim(session, covered, "また不具合", at=T0 + timedelta(days=30))
        assert caught.value.code == "claims_used_up"
        with pytest.raises(ValidationFailed) as caught:
            do_file_claim(session, covered, "  ")
        assert caught.value.field == "description"

    def test_a_cancelled_cover_takes_no_claims(self, session: Session, covered: int) -> None:
        do_cancel_enrolment(session, covered)
        with pytest.raises(Conflict) as caught:
            do_file_claim(session, covered, "故障", at=T0 + timedelta(days=3))
        assert caught.value.code == "warranty_ended"

    def test_resolution_needs_approval_a_known_kind_and_a_cost(
        self, session: Session, covered: int
    ) -> None:
        claim = do_file_claim(session, covered, "故障", at=T0 + timedelta(days=3))
        with pytest.raises(Conflict):
            do_resolve_claim(session, claim.id, resolution="repair", cost=0, actor="s")
        do_decide_claim(session, claim.id, approve=True, actor="s")
        with pytest.raises(ValidationFailed) as caught:
            do_resolve_claim(session, claim.id, resolution="apology", cost=0, actor="s")
        assert caught.value.field == "resolution"
        with pytest.raises(ValidationFailed) as caught:
            do_resolve_claim(session, claim.id, resolution="refund", cost=-5, actor="s")
        assert caught.value.field == "cost"


class TestReports:
    def test_expiring_and_customer_view(self, session: Session, plans: None) -> None:
        taro = customer(session, "C1")
        enrol_order(session, order(session, "C1", "A-1", (FRIDGE, FRIDGE_COVER)))
        ends = date(2029, 5, 9)
        assert expiring(session, within_days=30, today=ends - timedelta(days=31)) == []
        (soon,) = expiring(session, within_days=30, today=ends - timedelta(days=30), language="en")
        assert (soon["plan_name"], soon["days_left"], soon["customer_id"]) == (
            "3-year cover",
            30,
            taro,
        )
        (mine,) = customer_warranties(session, taro, today=ends + timedelta(days=1))
        assert (mine["status"], mine["order_number"], mine["sku"]) == ("expired", "A-1", "FRIDGE-1")

    def test_revenue_against_claims_by_month_and_plan(self, session: Session, plans: None) -> None:
        customer(session, "C1")
        first = enrol_order(session, order(session, "C1", "A-1", (TV, TV_COVER)))[0]
        enrol_order(
            session, order(session, "C1", "A-2", (FRIDGE, FRIDGE_COVER), at=T0 + timedelta(days=31))
        )
        returned = enrol_order(
            session, order(session, "C1", "A-3", (TV, TV_COVER), at=T0 + timedelta(days=32))
        )[0]
        do_cancel_enrolment(session, returned.id)
        claim = do_file_claim(session, first.id, "故障", at=T0 + timedelta(days=40))
        do_decide_claim(session, claim.id, approve=True, actor="s")
        do_resolve_claim(session, claim.id, resolution="replacement", cost=4900, actor="s")
        report = warranty_revenue(session)
        assert [
            (m["month"], m["sold"], m["revenue"], m["cancelled"], m["claim_cost"])
            for m in report["months"]
        ] == [
            ("2026-05", 1, 9800, 0, 0),
            ("2026-06", 2, 6000, 1, 4900),
        ]
        five = next(p for p in report["plans"] if p["plan"] == "5y")
        assert (five["sold"], five["revenue"], five["claims"], five["loss_ratio"]) == (
            2,
            9800,
            1,
            0.5,
        )
        assert report["total"]["revenue"] == 15800
