"""Consent history per channel (latest wins, no repeated rows) and the problem-customer flag."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.customers.models import ConsentChange, Customer, CustomerAudit
from kizuna.customers.schemas import CustomerIn
from kizuna.customers.service import (
    current_consents,
    do_flag_problem,
    do_set_consent,
    upsert_customers,
)
from kizuna.kit.errors import NotFound
from tests.integration.customers.factories import add_customer


def history(session: Session, customer_id: int) -> list[tuple[str, bool, str]]:
    rows = session.execute(
        select(ConsentChange.channel, ConsentChange.granted, ConsentChange.source)
        .where(ConsentChange.customer_id == customer_id)
        .order_by(ConsentChange.id)
    )
    return [tuple(row) for row in rows]  # type: ignore[misc]


class TestConsent:
    def test_latest_change_per_channel_wins_and_repeats_add_no_rows(self, session: Session) -> None:
        taro = add_customer(session, "C1")
        # when consent is given, given again, withdrawn, and given for another channel
        results = [
            do_set_consent(session, taro, "email", True, source="signup"),
            do_set_consent(session, taro, "email", True, source="campaign"),
            do_set_consent(session, taro, "line", True, source="line_follow"),
            do_set_consent(session, taro, "email", False, source="unsubscribe_link"),
            do_set_consent(session, taro, "email", False, source="support"),
        ]
        # then only real changes were recorded, and the current state is the latest per channel
        assert results == [True, False, True, True, False]
        assert history(session, taro) == [
            ("email", True, "signup"),
            ("line", True, "line_follow"),
            ("email", False, "unsubscribe_link"),
        ]
        current = current_consents(session, taro)
        assert {ch: (c.granted, c.source) for ch, c in current.items()} == {
            "email": (False, "unsubscribe_link"),
            "line": (True, "line_follow"),
        }
        assert all(c.changed_at.tzinfo is not None for c in current.values())

    def test_channels_of_different_customers_are_independent(self, session: Session) -> None:
        taro, hanako = add_customer(session, "C1"), add_customer(session, "C2")
        do_set_consent(session, taro, "sms", True, source="signup")
        assert do_set_consent(session, hanako, "sms", True, source="signup") is True
        assert current_consents(session, hanako)["sms"].customer_id == hanako

    def test_import_records_consent_only_when_it_changes(self, session: Session) -> None:
        # given a customer imported with email consent and SMS refusal
        first = CustomerIn("C1", consents=(("email", True), ("sms", False)))
        upsert_customers(session, [first])
        cid = session.execute(select(Customer.id)).scalar_one()
        # when re-imported with another field changed, then with SMS granted
        upsert_customers(
            session,
            [CustomerIn("C1", occupation="教師", consents=(("email", True), ("sms", False)))],
        )
        upsert_customers(
            session,
            [CustomerIn("C1", occupation="教師", consents=(("email", True), ("sms", True)))],
        )
        # then the history has one row per real change, all from the import
        assert history(session, cid) == [
            ("email", True, "import"),
            ("sms", False, "import"),
            ("sms", True, "import"),
        ]


class TestProblemFlag:
    def test_flag_records_reason_actor_and_audit(self, session: Session) -> None:
        taro = add_customer(session, "C1")
        customer = do_flag_problem(session, taro, reason="度重なる暴言", actor="support@example.jp")
        assert (customer.is_problem, customer.problem_reason, customer.problem_set_by) == (
            True,
            "度重なる暴言",
            "support@example.jp",
        )
        assert customer.problem_set_at is not None and customer.problem_set_at.tzinfo is not None
        audit = session.execute(select(CustomerAudit)).scalar_one()
        assert (audit.customer_id, audit.action, audit.actor, audit.detail) == (
            taro,
            "problem_flagged",
            "support@example.jp",
            {"reason": "度重なる暴言"},
        )

    def test_clearing_keeps_who_cleared_it_and_audits(self, session: Session) -> None:
        taro = add_customer(session, "C1")
        do_flag_problem(session, taro, reason="度重なる暴言", actor="support@example.jp")
        customer = do_flag_problem(
            session, taro, reason="謝罪あり", actor="admin@example.jp", flagged=False
        )
        assert (customer.is_problem, customer.problem_reason, customer.problem_set_by) == (
            False,
            None,
            "admin@example.jp",
        )
        actions = session.execute(
            select(CustomerAudit.action, CustomerAudit.actor, CustomerAudit.detail).order_by(
                CustomerAudit.id
            )
        ).all()
        assert [tuple(a) for a in actions] == [
            ("problem_flagged", "support@example.jp", {"reason": "度重なる暴言"}),
            ("problem_cleared", "admin@example.jp", {"reason": "謝罪あり"}),
        ]

    def test_unknown_customer_is_not_found(self, session: Session) -> None:
        with pytest.raises(NotFound) as caught:
            do_flag_problem(session, 424242, reason="x", actor="support@example.jp")
        assert caught.value.to_dict() == {
            "code": "not_found",
            "message": "customer #424242 does not exist",
            "field": "customer_id",
        }
