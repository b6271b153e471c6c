"""Each trigger on SQLite and PostgreSQL: who it finds, for which occurrence, when the first
step is due; event triggers through the ingest hooks, daily ones through their scanners."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.analytics.models import RankSpell, SnapshotRun
from kizuna.automation.journeys import runner
from kizuna.automation.journeys.enrol import scan_all, scan_journey
from kizuna.automation.journeys.hooks import (
    on_event_recorded,
    on_order_recorded,
    on_shipments_recorded,
)
from kizuna.automation.journeys.models import Enrolment
from kizuna.automation.journeys.store import Loaded, do_publish
from kizuna.automation.journeys.triggers import Entry
from kizuna.channels.models import OutboxMessage
from kizuna.customers.models import Customer
from kizuna.loyalty.ledger.post import do_earn
from kizuna.loyalty.models import StageChange

from .factories import (
    NOON,
    add_customers,
    add_event,
    add_order,
    add_products,
    add_shipment,
    days,
    hours,
    switch_on,
)


def _journey(session: Session, trigger: str, **params: Any) -> Loaded:
    doc = {
        "key": f"t_{trigger}",
        "name": trigger,
        "enabled": True,
        "holdout_share": 0.0,
        "trigger": {"type": trigger, "params": params},
        "steps": [{"type": "action", "id": "note", "action": "notify_staff", "params": {}}],
    }
    return do_publish(session, doc, actor="test")


def _found(session: Session, journey: Loaded, at: datetime) -> list[Entry]:
    scan, _ = scan_journey(session, journey, at=at)
    return sorted(scan.entries, key=lambda e: (e.customer_id, e.occurrence))


def _enrolments(session: Session, key: str) -> list[tuple[int, str]]:
    stmt = select(Enrolment.customer_id, Enrolment.occurrence).where(Enrolment.journey_key == key)
    return sorted(tuple(r) for r in session.execute(stmt))  # type: ignore[misc]


class TestOrderTriggers:
    def test_first_purchase_only_once_and_never_from_old_history(self, session: Session) -> None:
        new, veteran, imported = add_customers(session, 3)
        journey = _journey(session, "first_purchase")
        add_order(session, veteran, NOON - days(300))
        add_order(session, imported, NOON - days(3))  # older than within_hours (48)
        for cid in (new, veteran):
            add_order(session, cid, NOON - hours(1))
        found = _found(session, journey, NOON)
        assert [(e.customer_id, e.occurrence) for e in found] == [(new, "once")]

    def test_a_cancelled_first_order_does_not_count(self, session: Session) -> None:
        [cid] = add_customers(session, 1)
        journey = _journey(session, "first_purchase")
        add_order(session, cid, NOON - hours(5), status="cancelled")
        real = add_order(session, cid, NOON - hours(1))
        [entry] = _found(session, journey, NOON)
        assert entry.context == {"order_id": real.id, "order_number": real.order_number}

    def test_order_placed_and_survey_request_via_the_hook(self, session: Session) -> None:
        [cid] = add_customers(session, 1)
        _journey(session, "order_placed")
        _journey(session, "survey_request", days_after=10)
        order = add_order(session, cid, NOON)
        reaction = on_order_recorded(session, order.id, at=NOON + hours(0.01))
        assert reaction.enrolled == {"t_order_placed": 1, "t_survey_request": 1}
        due = dict(session.execute(select(Enrolment.journey_key, Enrolment.due_at)).all())
        assert due == {"t_order_placed": None, "t_survey_request": NOON + days(10)}


class TestShipmentTriggers:
    def test_shipped_delivered_and_review_request(self, session: Session) -> None:
        [cid] = add_customers(session, 1)
        for trigger in ("shipped", "delivered"):
            _journey(session, trigger)
        _journey(session, "review_request", days_after=5)
        order = add_order(session, cid, NOON - days(2))
        parcel = add_shipment(session, order, shipped_at=NOON - days(1), delivered_at=NOON)
        reaction = on_shipments_recorded(session, [parcel.id], at=NOON + hours(1))
        assert reaction.enrolled == {"t_shipped": 1, "t_delivered": 1, "t_review_request": 1}
        review = session.scalars(
            select(Enrolment).where(Enrolment.journey_key == "t_review_request")
        ).one()
        assert (review.occurrence, review.due_at, review.context["carrier"]) == (
            f"s{parcel.id}",
            NOON + days(5),
            "ヤマト運輸",
        )

    def test_shipping_notice_is_transactional_and_links_the_carrier(self, session: Session) -> None:
        [cid] = add_customers(session, 1, consent=())  # no marketing consent at all
        switch_on(session, "shipping_notice")
        order = add_order(session, cid, NOON - days(1))
        parcel = add_shipment(session, order, shipped_at=NOON)
        on_shipments_recorded(session, [parcel.id], at=NOON + hours(0.1))
        message = session.scalars(select(OutboxMessage)).one()
        assert (message.status, message.kind, message.category) == (
            "pending",
            "transactional",
            "shipping",
        )
        assert message.context["tracking_url"].endswith(f"number01={parcel.tracking_number}")
        assert message.context["order_number"] == order.order_number


class TestCartAbandoned:
    def test_reminds_with_the_cart_and_alternatives_when_nothing_was_bought(
        self, session: Session
    ) -> None:
        # given a customer who put two products in the cart and removed one
        [cid] = add_customers(session, 1)
        add_products(session, ["A1", "A2", "A3"])
        switch_on(session, "cart_abandonment", holdout=0.0)
        events = [
            add_event(session, cid, "cart_add", NOON, "A1"),
            add_event(session, cid, "cart_add", NOON + hours(0.5), "A2"),
            add_event(session, cid, "cart_remove", NOON + hours(1), "A2"),
        ]
        reaction = on_event_recorded(session, [e.id for e in events], at=NOON + hours(1))
        assert reaction.enrolled == {"cart_abandonment": 1} and reaction.pending == []
        assert list(reaction.later.values()) == [NOON + hours(3)]  # for a delayed advance
        # when the runner ticks: not yet 3 hours after the last activity, then after
        assert runner.tick(session, at=NOON + hours(3.5)).pending == []
        report = runner.tick(session, at=NOON + hours(4))
        # then one reminder with the remaining item
        assert len(report.pending) == 1
        message = session.scalars(select(OutboxMessage)).one()
        assert [i["sku"] for i in message.context["items"]] == ["A1"]
        assert message.context["items"][0]["price"] == "¥1,000"

    def test_a_purchase_after_the_cart_activity_exits_quietly(self, session: Session) -> None:
        [cid] = add_customers(session, 1)
        switch_on(session, "cart_abandonment", holdout=0.0)
        event = add_event(session, cid, "cart_add", NOON, "A1")
        on_event_recorded(session, [event.id], at=NOON)
        add_order(session, cid, NOON + hours(1))
        runner.tick(session, at=NOON + hours(5))
        enrolment = session.scalars(select(Enrolment)).one()
        assert (enrolment.status, enrolment.exit_reason, enrolment.arm) == (
            "done",
            "purchased",
            None,
        )
        assert session.scalars(select(OutboxMessage)).all() == []

    def test_the_scan_finds_cart_events_the_hook_missed(self, session: Session) -> None:
        a, b = add_customers(session, 2)
        switch_on(session, "cart_abandonment")
        add_event(session, a, "cart_add", NOON - hours(2), "A1")
        add_event(session, b, "cart_add", NOON - days(5), "A1")  # too old
        report = scan_all(session, daily=False, at=NOON)
        assert report.enrolled == {"cart_abandonment": 1}
        assert _enrolments(session, "cart_abandonment") == [(a, "c20240603")]


class TestDateTriggers:
    def test_birthday_days_before_in_shop_time_including_29_february(
        self, session: Session
    ) -> None:
        born = [date(1990, 6, 10), date(1985, 6, 11), date(2000, 2, 29), None]
        ids = add_customers(session, len(born))
        for cid, day in zip(ids, born, strict=True):
            session.get_one(Customer, cid).birth_date = day
        journey = _journey(session, "birthday", days_before=7, catch_up_days=1)
        # 2024-06-03 00:30 JST is still 2 June in UTC: the shop's date decides
        at = datetime(2024, 6, 2, 15, 30, tzinfo=UTC)
        assert [(e.customer_id, e.occurrence) for e in _found(session, journey, at)] == [
            (ids[0], "y2024")
        ]
        # in 2023 (a common year) the 29 February birthday is on the 28th
        feb = datetime(2023, 2, 21, 3, 0, tzinfo=UTC)
        assert [e.customer_id for e in _found(session, journey, feb)] == [ids[2]]

    def test_anniversary_of_registration_in_shop_time(self, session: Session) -> None:
        a, b, c = add_customers(session, 3)
        # a registered on 2021-06-03 08:00 JST (23:00 UTC the day before); b this year
        session.get_one(Customer, a).registered_at = datetime(2021, 6, 2, 23, 0, tzinfo=UTC)
        session.get_one(Customer, b).registered_at = datetime(2024, 1, 10, tzinfo=UTC)
        session.get_one(Customer, c).registered_at = datetime(2022, 6, 4, 3, 0, tzinfo=UTC)
        journey = _journey(session, "anniversary", days_before=0)
        [entry] = _found(session, journey, NOON)
        assert (entry.customer_id, entry.occurrence, entry.context["years"]) == (a, "y2024", 3)

    def test_dormant_after_n_days_without_an_order(self, session: Session) -> None:
        gone, back, fresh = add_customers(session, 3)
        add_order(session, gone, NOON - days(180))
        add_order(session, back, NOON - days(180))
        add_order(session, back, NOON - days(20))
        add_order(session, fresh, NOON - days(10))
        journey = _journey(session, "dormant", days=180)
        [entry] = _found(session, journey, NOON)
        assert (entry.customer_id, entry.occurrence) == (gone, "d20231206")
        # the next day's catch-up finds the same occurrence and enrols no one again
        again, enrolled_again = scan_journey(session, journey, at=NOON + days(1))
        assert (len(again.entries), enrolled_again) == (1, 0)
        assert _enrolments(session, "t_dormant") == [(gone, "d20231206")]

    def test_points_expiring_in_n_days_and_reward_usable(self, session: Session) -> None:
        a, b = add_customers(session, 2)
        # a's 300 points are valid through 2024-07-03 (they lapse at 07-04 00:00 JST)
        lapse = datetime(2024, 7, 3, 15, 0, tzinfo=UTC)
        do_earn(session, a, 300, key="a1", reason="order", at=NOON - days(300), expires_at=lapse)
        do_earn(session, b, 800, key="b1", reason="order", at=NOON - days(10))
        expiring = _journey(session, "points_expiring", days=30)
        [entry] = _found(session, expiring, NOON)
        assert (entry.customer_id, entry.occurrence, entry.context) == (
            a,
            "x20240703",
            {"expires_on": "2024-07-03", "points": 300},
        )
        usable = _journey(session, "reward_usable", threshold=500)
        assert [e.customer_id for e in _found(session, usable, NOON)] == [b]

    def test_stage_up_and_down_from_the_stage_history(self, session: Session) -> None:
        a, b = add_customers(session, 2)
        for cid, before, after, reason in (
            (a, "silver", "gold", "promoted"),
            (b, "gold", "silver", "demoted"),
        ):
            session.add(
                StageChange(
                    customer_id=cid,
                    from_stage=before,
                    to_stage=after,
                    reason=reason,
                    qualifying=0,
                    threshold=0,
                    at=NOON - hours(3),
                )
            )
        session.flush()
        up = _found(session, _journey(session, "stage_changed", direction="up"), NOON)
        assert [(e.customer_id, e.context["to_stage"]) for e in up] == [(a, "gold")]

    def test_entered_rank_reads_the_rank_history_or_declares_the_gap(
        self, session: Session
    ) -> None:
        a, b = add_customers(session, 2)
        journey = _journey(session, "entered_rank", rank="dormant")
        scan, _ = scan_journey(session, journey, at=NOON)
        assert scan.entries == [] and "no rank snapshot" in scan.note
        run = SnapshotRun(
            as_of=date(2024, 6, 3), policy_name="default", policy_version=1, engine="duckdb"
        )
        session.add(run)
        session.flush()
        session.add_all(
            [
                RankSpell(
                    customer_id=a, rank="dormant", valid_from=date(2024, 6, 3), run_id=run.id
                ),
                RankSpell(customer_id=b, rank="repeat", valid_from=date(2024, 6, 3), run_id=run.id),
            ]
        )
        session.flush()
        assert [(e.customer_id, e.occurrence) for e in _found(session, journey, NOON)] == [
            (a, "dormant20240603")
        ]
