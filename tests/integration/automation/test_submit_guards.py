"""Guards through ``submit`` on SQLite and PostgreSQL: each rule holds or drops a message with
its reason in the outbox and the message log; deferred messages are released when allowed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.automation import guards, sending
from kizuna.channels import outbox, suppression
from kizuna.channels.models import MessageLog, OutboxMessage
from kizuna.customers.service import do_flag_problem, do_set_consent
from tests.integration.channels.helpers import add_customers

# 2024-06-03 14:00 JST (a Monday afternoon) and 22:30 JST the same day
AFTERNOON = datetime(2024, 6, 3, 5, 0, tzinfo=UTC)
LATE = datetime(2024, 6, 3, 13, 30, tzinfo=UTC)


def _msg(customer_id: int, key: str, channel: str = "email", **extra: str) -> outbox.MessageIn:
    context = {"offer": "10%オフ"}
    return outbox.MessageIn(
        outbox.dedupe_key(customer_id, campaign=key),
        customer_id,
        channel,
        "dormant_offer",
        context=context,
        source_type="campaign",
        source_key=key,
        **extra,
    )  # type: ignore[arg-type]


def _row(session: Session, customer_id: int, key: str) -> OutboxMessage:
    return session.scalars(
        select(OutboxMessage).where(OutboxMessage.dedupe_key == f"c:{key}:{customer_id}")
    ).one()


def _logged(session: Session, row: OutboxMessage) -> list[tuple[str, str]]:
    stmt = select(MessageLog.action, MessageLog.reason).where(MessageLog.outbox_id == row.id)
    return [tuple(r) for r in session.execute(stmt.order_by(MessageLog.id))]  # type: ignore[misc]


class TestDrops:
    def test_without_consent_the_message_is_dropped_and_logged(self, session: Session) -> None:
        [cid] = add_customers(session, 1, consent=("sms",))  # email never granted
        result = sending.submit(session, [_msg(cid, "news")], at=AFTERNOON)
        row = _row(session, cid, "news")
        assert (result.pending, result.dropped) == ([], 1)
        assert (row.status, row.reason) == ("dropped", "no_consent:email")
        assert _logged(session, row) == [("dropped", "no_consent:email")]

    def test_withdrawn_consent_wins_over_the_earlier_grant(self, session: Session) -> None:
        [cid] = add_customers(session, 1)
        do_set_consent(session, cid, "email", False, source="support")
        sending.submit(session, [_msg(cid, "news")], at=AFTERNOON)
        assert _row(session, cid, "news").reason == "no_consent:email"

    def test_problem_customers_get_no_marketing_but_do_get_shipping_notices(
        self, session: Session
    ) -> None:
        [cid] = add_customers(session, 1)
        do_flag_problem(session, cid, reason="abusive calls", actor="support@shop")
        notice = _msg(cid, "ship", kind="transactional", category="shipping")
        result = sending.submit(session, [_msg(cid, "news"), notice], at=AFTERNOON)
        assert _row(session, cid, "news").reason == "problem_customer"
        assert _row(session, cid, "ship").status == "pending"
        assert (len(result.pending), result.dropped) == (1, 1)

    def test_unsubscribe_of_a_kind_stops_that_kind_even_when_transactional(
        self, session: Session
    ) -> None:
        [cid] = add_customers(session, 1)
        token = suppression.unsubscribe_token(cid, "email", "review_request")
        suppression.handle_unsubscribe(session, token)
        review = _msg(cid, "review", kind="transactional", category="review_request")
        ship = _msg(cid, "ship", kind="transactional", category="shipping")
        sending.submit(session, [review, ship, _msg(cid, "news")], at=AFTERNOON)
        assert _row(session, cid, "review").reason == "suppressed:unsubscribe"
        assert _row(session, cid, "ship").status == "pending"
        assert _row(session, cid, "news").status == "pending"  # marketing not unsubscribed


class TestQuietHours:
    def test_sms_at_night_is_deferred_to_nine_and_released_then(self, session: Session) -> None:
        [cid] = add_customers(session, 1, consent=("sms",))
        sending.submit(session, [_msg(cid, "late", "sms")], at=LATE)
        row = _row(session, cid, "late")
        nine = datetime(2024, 6, 4, 0, 0, tzinfo=UTC)  # 09:00 JST next morning
        assert (row.status, row.reason, row.next_attempt_at) == ("held", "quiet_hours", nine)
        assert _logged(session, row) == [("held", "quiet_hours")]
        # not yet at 08:59, released at 09:00
        assert sending.release_deferred(session, at=nine - timedelta(minutes=1)) == []
        assert sending.release_deferred(session, at=nine) == [row.id]
        session.refresh(row)
        assert (row.status, row.reason) == ("pending", "released:quiet_hours")

    def test_email_is_not_quiet_and_the_drop_rule_drops(self, session: Session) -> None:
        [cid] = add_customers(session, 1, consent=("email", "sms"))
        policy = guards.GuardPolicy(quiet_hours=guards.QuietHours(on_block="drop"))
        sending.submit(
            session, [_msg(cid, "mail"), _msg(cid, "text", "sms")], policy=policy, at=LATE
        )
        assert _row(session, cid, "mail").status == "pending"
        assert (_row(session, cid, "text").status, _row(session, cid, "text").reason) == (
            "dropped",
            "quiet_hours",
        )


class TestFrequencyCap:
    def test_fourth_marketing_message_in_a_week_waits_for_the_oldest_to_age_out(
        self, session: Session
    ) -> None:
        [cid] = add_customers(session, 1)
        days = [AFTERNOON - timedelta(days=d) for d in (6, 3, 1)]
        for n, day in enumerate(days):
            sending.submit(session, [_msg(cid, f"old{n}")], at=day)
        shipping = _msg(cid, "ship", kind="transactional", category="shipping")
        result = sending.submit(session, [_msg(cid, "fourth"), shipping], at=AFTERNOON)
        row = _row(session, cid, "fourth")
        assert (row.status, row.reason) == ("held", "frequency_cap")
        assert row.next_attempt_at == days[0] + timedelta(days=7)
        assert _row(session, cid, "ship").status == "pending"  # transactional bypasses the cap
        assert result.held == 1
        assert sending.release_deferred(session, at=days[0] + timedelta(days=7)) == [row.id]

    def test_drop_rule_and_counting_within_one_submission(self, session: Session) -> None:
        [cid] = add_customers(session, 1)
        policy = guards.GuardPolicy(
            frequency_cap=guards.FrequencyCap(max_messages=2, on_block="drop")
        )
        batch = [_msg(cid, f"n{i}") for i in range(3)]
        result = sending.submit(session, batch, policy=policy, at=AFTERNOON)
        assert (len(result.pending), result.dropped) == (2, 1)
        assert _row(session, cid, "n2").reason == "frequency_cap"


def test_holdout_customers_get_no_message_and_are_logged(session: Session) -> None:
    ids = add_customers(session, 200)
    result = sending.submit(
        session, [_msg(c, "exp") for c in ids], experiment="campaign:exp", at=AFTERNOON
    )
    assert result.holdout + len(result.pending) == 200
    assert 8 <= result.holdout <= 35  # 10 % of 200, deterministic
    again = sending.submit(
        session, [_msg(c, "exp") for c in ids], experiment="campaign:exp", at=AFTERNOON
    )
    assert (again.holdout, again.duplicates, again.pending) == (
        result.holdout,
        200 - result.holdout,
        [],
    )
