"""Each action on SQLite and PostgreSQL: send a message (language, channel, transactional,
missing context), grant points through the ledger, issue a coupon, set an attribute, notify
staff; and the ready-made journeys that chain them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.automation.journeys import runner
from kizuna.automation.journeys.enrol import enrol, scan_journey
from kizuna.automation.journeys.models import Enrolment, StaffNotification, StepProgress
from kizuna.automation.journeys.store import do_publish, load
from kizuna.automation.journeys.triggers import Entry
from kizuna.channels.config import get_channel_settings
from kizuna.channels.models import OutboxMessage
from kizuna.customers.models import Customer, CustomerAudit
from kizuna.loyalty.ledger.balance import balance
from kizuna.loyalty.ledger.post import do_earn, do_redeem
from kizuna.loyalty.models import Coupon, LoyaltyAccount, PointEntry

from .factories import NOON, add_customers, add_order, days, switch_on


def _run(session: Session, steps: list[dict[str, Any]], customers: list[int], **doc: Any) -> None:
    """Publish a one-off journey with ``steps``, enrol ``customers`` and run it."""
    journey = do_publish(
        session,
        {
            "key": "act",
            "name": "act",
            "enabled": True,
            "holdout_share": 0.0,
            "trigger": {"type": "order_placed"},
            "steps": steps,
            **doc,
        },
        actor="test",
    )
    enrol(session, journey, [Entry(c, "o1", NOON, NOON, {"note": "VIP"}) for c in customers])
    runner.tick(session, at=NOON)


def _outcomes(session: Session) -> dict[tuple[int, str], str]:
    stmt = select(StepProgress.customer_id, StepProgress.step_id, StepProgress.outcome)
    return {(c, s): o for c, s, o in session.execute(stmt)}


class TestSendMessage:
    def test_language_channel_and_context_per_customer(self, session: Session) -> None:
        ja, en, sms = add_customers(session, 3, consent=("email", "sms"))
        session.get_one(Customer, en).attributes = {"language": "en"}
        session.get_one(Customer, sms).attributes = {"preferred_channel": "sms"}
        step = {
            "type": "action",
            "id": "offer",
            "action": "send_message",
            "params": {
                "template": "dormant_offer",
                "i18n": {"ja": {"offer": "10%オフ"}, "en": {"offer": "10% off"}},
            },
        }
        _run(session, [step], [ja, en, sms])
        rows = session.execute(
            select(
                OutboxMessage.customer_id,
                OutboxMessage.channel,
                OutboxMessage.language,
                OutboxMessage.context,
            )
        ).all()
        got = {c: (ch, lang, ctx["offer"], ctx["note"]) for c, ch, lang, ctx in rows}
        assert got == {
            ja: ("email", "ja", "10%オフ", "VIP"),
            en: ("email", "en", "10% off", "VIP"),
            sms: ("sms", "ja", "10%オフ", "VIP"),
        }

    def test_a_template_missing_its_context_is_skipped_not_sent(self, session: Session) -> None:
        [cid] = add_customers(session, 1)
        step = {
            "type": "action",
            "id": "bday",
            "action": "send_message",
            "params": {"template": "birthday"},
        }
        _run(session, [step], [cid])
        assert _outcomes(session) == {(cid, "bday"): "skipped:missing:coupon_code"}
        assert session.scalars(select(OutboxMessage)).all() == []


class TestLoyaltyActions:
    def test_grant_points_goes_through_the_ledger_once(self, session: Session) -> None:
        [cid] = add_customers(session, 1)
        step = {"type": "action", "id": "gift", "action": "grant_points", "params": {"points": 250}}
        _run(session, [step], [cid])
        runner.tick(session, at=NOON + days(1))
        entry = session.scalars(select(PointEntry)).one()
        assert (entry.points, entry.idempotency_key, entry.link_ref) == (
            250,
            f"journey:act:gift:o1:{cid}",
            "act",
        )
        assert balance(session, cid, at=NOON).points == 250
        assert _outcomes(session) == {(cid, "gift"): "granted"}

    def test_issue_coupon_then_send_it(self, session: Session) -> None:
        # given the birthday preset (it installs the BIRTHDAY coupon template)
        ids = add_customers(session, 2)
        switch_on(session, "birthday", holdout=0.0)
        for cid in ids:
            session.get_one(Customer, cid).birth_date = date(1990, 6, 10)
        # when the daily scan runs 7 days before and the runner ticks
        scan_journey(session, load(session, "birthday"), at=NOON)
        runner.tick(session, at=NOON)
        # then each customer has a personal code, and the greeting carries it
        coupons: dict[Any, str] = dict(
            session.execute(select(Coupon.customer_id, Coupon.code)).all()
        )
        sent: dict[int, dict[str, Any]] = dict(
            session.execute(select(OutboxMessage.customer_id, OutboxMessage.context)).all()
        )
        assert sorted(coupons) == sorted(ids)
        assert {c: ctx["coupon_code"] for c, ctx in sent.items()} == coupons
        assert all(ctx["valid_until"] == "2024-07-03" for ctx in sent.values())

    def test_issue_coupon_without_the_template_is_skipped(self, session: Session) -> None:
        [cid] = add_customers(session, 1)
        step = {"type": "action", "id": "c", "action": "issue_coupon", "params": {"coupon": "NOPE"}}
        _run(session, [step], [cid])
        assert _outcomes(session) == {(cid, "c"): "skipped:no_coupon_template"}


class TestRecordActions:
    def test_set_attribute_is_audited(self, session: Session) -> None:
        [cid] = add_customers(session, 1)
        step = {
            "type": "action",
            "id": "tag",
            "action": "set_attribute",
            "params": {"name": "vip", "value": True},
        }
        _run(session, [step], [cid])
        assert session.get_one(Customer, cid).attributes["vip"] is True
        audit = session.scalars(
            select(CustomerAudit).where(CustomerAudit.action == "attribute_set")
        ).one()
        assert (audit.actor, audit.detail) == (
            "journey:act",
            {"name": "vip", "before": None, "after": True},
        )

    def test_notify_staff_once_per_step(self, session: Session) -> None:
        [cid] = add_customers(session, 1)
        step = {
            "type": "action",
            "id": "call",
            "action": "notify_staff",
            "params": {"message": "Call {note} customer about {missing}"},
        }
        _run(session, [step], [cid])
        note = session.scalars(select(StaffNotification)).one()
        assert (note.customer_id, note.source, note.message) == (
            cid,
            "journey:act",
            "Call VIP customer about {missing}",
        )


class TestPresets:
    def test_anniversary_grants_points_then_thanks_members_only(self, session: Session) -> None:
        member, guest = add_customers(session, 2)
        session.get_one(Customer, guest).is_member = False
        switch_on(session, "anniversary", holdout=0.0)
        journey = load(session, "anniversary")
        enrol(
            session, journey, [Entry(c, "y2024", NOON, NOON, {"years": 3}) for c in (member, guest)]
        )
        runner.tick(session, at=NOON)
        message = session.scalars(select(OutboxMessage)).one()
        assert (
            message.customer_id,
            message.context["points_granted"],
            message.context["years"],
        ) == (member, 100, 3)
        assert session.scalars(select(PointEntry.customer_id)).all() == [member]

    def test_winback_goes_by_post_to_customers_over_60(self, session: Session) -> None:
        young, older = add_customers(session, 2, consent=("email", "postal"))
        session.get_one(Customer, young).birth_date = date(1995, 1, 1)
        session.get_one(Customer, older).birth_date = date(1950, 1, 1)
        for cid in (young, older):
            add_order(session, cid, NOON - days(180))
        switch_on(session, "dormant_winback", holdout=0.0)
        scan_journey(session, load(session, "dormant_winback"), at=NOON)
        runner.tick(session, at=NOON)
        channels = dict(
            session.execute(select(OutboxMessage.customer_id, OutboxMessage.channel)).all()
        )
        assert channels == {young: "email", older: "postal"}
        # two weeks later, still no order: 300 points and a note
        runner.tick(session, at=NOON + days(14))
        assert balance(session, young, at=NOON + days(14)).points == 300
        steps = sorted(
            s
            for c, s in session.execute(select(OutboxMessage.customer_id, OutboxMessage.step_key))
            if c == young
        )
        assert steps == ["offer", "point_up_note"]
        assert session.scalars(select(Enrolment.status)).all() == ["done", "done"]

    def test_points_expiring_rereads_the_ledger_when_the_message_is_made(
        self, session: Session
    ) -> None:
        a, b = add_customers(session, 2)
        lapse = datetime(2024, 7, 3, 15, 0, tzinfo=UTC)  # valid through 3 July (JST)
        for cid in (a, b):
            do_earn(
                session,
                cid,
                1200,
                key=f"e{cid}",
                reason="order",
                at=NOON - days(300),
                expires_at=lapse,
            )
        switch_on(session, "points_expiring", holdout=0.0)
        scan_journey(session, load(session, "points_expiring"), at=NOON)
        do_redeem(session, b, 1200, key="spent", at=NOON)  # b spends them before the message
        runner.tick(session, at=NOON)
        message = session.scalars(select(OutboxMessage)).one()
        assert (message.customer_id, message.context["points"], message.context["expires_on"]) == (
            a,
            "1,200",
            "2024年7月3日",
        )
        assert message.context["next_stage_gap"].startswith("ゴールドまであと¥")
        assert _outcomes(session)[(b, "remind")] == "skipped:points_expiring"

    def test_review_and_survey_requests_link_to_the_order(self, session: Session) -> None:
        [cid] = add_customers(session, 1)
        switch_on(session, "review_request", "survey_request", holdout=0.0)
        context = {"order_id": 1, "order_number": "W-77"}
        for key in ("review_request", "survey_request"):
            enrol(session, load(session, key), [Entry(cid, "o1", NOON, NOON, context)])
        runner.tick(session, at=NOON)
        links = {
            m.template: (
                m.context.get("review_url") or m.context.get("survey_url"),
                m.context["points"],
            )
            for m in session.scalars(select(OutboxMessage))
        }
        base = get_channel_settings().public_url.rstrip("/")
        assert links == {
            "review_request": (f"{base}/orders/W-77/review", 100),
            "survey_request": (f"{base}/surveys/after-purchase?order=W-77", 50),
        }

    def test_stage_up_names_the_new_stage_and_its_benefits(self, session: Session) -> None:
        [cid] = add_customers(session, 1, language="en")
        session.add(LoyaltyAccount(customer_id=cid, stage="gold", qualifying=60000))
        switch_on(session, "stage_up", holdout=0.0)
        enrol(
            session,
            load(session, "stage_up"),
            [Entry(cid, "sc1", NOON, NOON, {"to_stage": "gold"})],
        )
        runner.tick(session, at=NOON)
        context = session.scalars(select(OutboxMessage.context)).one()
        assert context["stage_name"] == "Gold"
        assert context["benefits"][:2] == ["3.0% member discount", "Free shipping from ¥3,000"]
