"""Support tickets: opened from any channel, worked through statuses with a trail of notes,
categories over time, and the problem-customer flag that keeps marketing away."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.automation import guards
from kizuna.automation.sending import submit
from kizuna.channels.outbox import MessageIn
from kizuna.customers.models import Customer, CustomerAudit
from kizuna.customers.service import do_set_consent
from kizuna.feedback.ticket_reports import (
    category_trend,
    customer_tickets,
    list_tickets,
    open_counts,
    ticket_detail,
)
from kizuna.feedback.tickets import (
    TicketIn,
    do_add_note,
    do_assign,
    do_flag_customer,
    do_open_ticket,
    do_set_status,
)
from kizuna.ingest.after_purchase import flag_problem_from_ticket
from kizuna.kit.errors import NotFound, ValidationFailed

from .factories import T0, customer, order

COMPLAINT = TicketIn(
    channel="phone",
    kind="complaint",
    category="delivery",
    subject="荷物が届かない",
    body="3日前に発送と聞いたがまだ届かない",
    order_number="A-1",
)


def newsletter(customer_id: int, campaign: str) -> MessageIn:
    return MessageIn(
        dedupe_key=f"c:{campaign}:{customer_id}",
        customer_id=customer_id,
        channel="email",
        template="newsletter",
        source_type="campaign",
        source_key=campaign,
    )


class TestProblemCustomer:
    def test_a_ticket_flag_makes_a_problem_customer_left_out_of_the_next_campaign(
        self, session: Session
    ) -> None:
        # given a customer who agreed to email and is reachable
        taro = customer(session, "C1")
        order(session, "C1", "A-1")
        do_set_consent(session, taro, "email", True, source="signup")
        candidate = [guards.Candidate(taro, "email")]
        policy = guards.GuardPolicy()
        assert guards.evaluate(session, candidate, policy, T0)[0].action == "send"
        # when support flags them from a complaint ticket
        ticket = do_open_ticket(session, COMPLAINT, actor="support@example.jp")
        flagged = flag_problem_from_ticket(
            session, ticket.ticket_id, reason="暴言が続いたため", actor="leader@example.jp"
        )
        # then they are a problem customer, audited, noted on the ticket
        row = session.get_one(Customer, taro)
        assert flagged == taro
        assert (row.is_problem, row.problem_set_by) == (True, "leader@example.jp")
        assert row.problem_reason == f"暴言が続いたため (ticket {ticket.number})"
        audit = session.scalars(
            select(CustomerAudit).where(CustomerAudit.customer_id == taro)
        ).one()
        assert (audit.action, audit.actor) == ("problem_flagged", "leader@example.jp")
        kinds = [n["kind"] for n in ticket_detail(session, ticket.ticket_id)["notes"]]
        assert kinds == ["message", "problem_flag"]
        # and the guards drop their marketing from the next campaign on
        decision = guards.evaluate(session, candidate, policy, T0)[0]
        assert (decision.action, decision.reason) == ("drop", "problem_customer")
        sent = submit(session, [newsletter(taro, "summer-sale")], at=T0)
        assert (sent.pending, sent.dropped) == ([], 1)
        # while transactional messages (the shipping notice) still go
        notice = guards.Candidate(taro, "email", kind="transactional", category="shipping")
        assert guards.evaluate(session, [notice], policy, T0)[0].action == "send"

    def test_unflagging_lets_marketing_through_again(self, session: Session) -> None:
        taro = customer(session, "C1")
        order(session, "C1", "A-1")
        do_set_consent(session, taro, "email", True, source="signup")
        ticket = do_open_ticket(session, COMPLAINT, actor="support")
        flag_problem_from_ticket(session, ticket.ticket_id, reason="暴言", actor="leader")
        flag_problem_from_ticket(
            session, ticket.ticket_id, reason=None, actor="leader", flagged=False
        )
        assert session.get_one(Customer, taro).is_problem is False
        candidate = [guards.Candidate(taro, "email")]
        assert guards.evaluate(session, candidate, guards.GuardPolicy(), T0)[0].action == "send"
        actions = session.scalars(
            select(CustomerAudit.action)
            .where(CustomerAudit.customer_id == taro)
            .order_by(CustomerAudit.id)
        ).all()
        assert actions == ["problem_flagged", "problem_cleared"]

    def test_flagging_needs_a_reason_and_a_customer(self, session: Session) -> None:
        customer(session, "C1")
        order(session, "C1", "A-1")
        ticket = do_open_ticket(session, COMPLAINT, actor="support")
        with pytest.raises(ValidationFailed) as caught:
            do_flag_customer(session, ticket.ticket_id, reason=" ", actor="leader")
        assert caught.value.field == "reason"
        anonymous = do_open_ticket(
            session, TicketIn("social", "inquiry", "product", "在庫はありますか"), actor="s"
        )
        with pytest.raises(ValidationFailed) as caught:
            do_flag_customer(session, anonymous.ticket_id, reason="x", actor="leader")
        assert caught.value.field == "customer_id"


class TestWorkflow:
    def test_the_order_names_the_customer_and_statuses_stamp_times(self, session: Session) -> None:
        taro = customer(session, "C1")
        order(session, "C1", "A-1")
        opened = do_open_ticket(session, replace(COMPLAINT, opened_at=T0), actor="support")
        assert opened.number.startswith("T260510-")
        do_assign(session, opened.ticket_id, "sato", actor="leader")
        do_add_note(session, opened.ticket_id, "配送業者に確認中", author="sato")
        do_set_status(session, opened.ticket_id, "pending", actor="sato")
        later = T0 + timedelta(hours=5)
        do_set_status(
            session, opened.ticket_id, "resolved", actor="sato", note="再配達済み", at=later
        )
        detail = ticket_detail(session, opened.ticket_id)
        assert (detail["customer_id"], detail["order_number"]) == (taro, "A-1")
        assert (detail["status"], detail["assignee"], detail["resolved_at"]) == (
            "resolved",
            "sato",
            later,
        )
        assert [(n["kind"], n["body"]) for n in detail["notes"]] == [
            ("message", "3日前に発送と聞いたがまだ届かない"),
            ("assignment", None),
            ("note", "配送業者に確認中"),
            ("status", None),
            ("status", "再配達済み"),
        ]
        assert detail["notes"][-1]["detail"] == {"before": "pending", "after": "resolved"}
        do_set_status(session, opened.ticket_id, "open", actor="sato")
        assert ticket_detail(session, opened.ticket_id)["resolved_at"] is None
        assert customer_tickets(session, taro)[0]["number"] == opened.number

    def test_the_help_desks_number_makes_opening_repeat_safe(self, session: Session) -> None:
        customer(session, "C1")
        order(session, "C1", "A-1")
        item = TicketIn(
            "email",
            "inquiry",
            "payment",
            "領収書",
            customer_id=None,
            order_number="A-1",
            number="ZD-1001",
        )
        first = do_open_ticket(session, item, actor="zendesk")
        again = do_open_ticket(session, item, actor="zendesk")
        assert (again.ticket_id, again.created, first.created) == (first.ticket_id, False, True)

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            pytest.param({"channel": "fax"}, "channel", id="channel"),
            pytest.param({"kind": "praise"}, "kind", id="kind"),
            pytest.param({"category": "misc"}, "category", id="category"),
            pytest.param({"priority": "p1"}, "priority", id="priority"),
            pytest.param({"subject": " "}, "subject", id="subject"),
        ],
    )
    def test_bad_input_names_the_field(self, session: Session, changes: dict, field: str) -> None:
        fields = {"channel": "chat", "kind": "inquiry", "category": "other", "subject": "質問"}
        with pytest.raises(ValidationFailed) as caught:
            do_open_ticket(session, TicketIn(**(fields | changes)), actor="s")
        assert caught.value.field == field

    def test_an_unknown_order_is_not_found(self, session: Session) -> None:
        with pytest.raises(NotFound) as caught:
            do_open_ticket(session, COMPLAINT, actor="s")
        assert caught.value.field == "order_number"

    def test_someone_elses_order_is_refused(self, session: Session) -> None:
        customer(session, "C1")
        hanako = customer(session, "C2")
        order(session, "C1", "A-1")
        with pytest.raises(ValidationFailed) as caught:
            do_open_ticket(
                session,
                TicketIn(
                    "chat", "inquiry", "delivery", "x", customer_id=hanako, order_number="A-1"
                ),
                actor="s",
            )
        assert caught.value.field == "order_number"


class TestReports:
    def test_categories_over_time_and_the_list(self, session: Session) -> None:
        customer(session, "C1")
        opened = [
            ("delivery", T0),
            ("delivery", T0 + timedelta(days=1)),
            ("quality", T0),
            ("delivery", T0 + timedelta(days=35)),
            ("payment", T0 + timedelta(days=36)),
        ]
        for i, (category, at) in enumerate(opened):
            do_open_ticket(
                session,
                TicketIn("chat", "complaint", category, f"件名{i}", opened_at=at),
                actor="s",
            )
        trend = category_trend(session)
        assert trend == {
            "months": ["2026-05", "2026-06"],
            "categories": {"delivery": [2, 1], "payment": [0, 1], "quality": [1, 0]},
            "totals": {"delivery": 3, "payment": 1, "quality": 1},
        }
        assert category_trend(session, since=T0 + timedelta(days=30))["totals"] == {
            "delivery": 1,
            "payment": 1,
        }
        listed = list_tickets(session, category="delivery", limit=2)
        assert (listed["total"], len(listed["tickets"])) == (3, 2)
        assert open_counts(session) == {"open": 5}
