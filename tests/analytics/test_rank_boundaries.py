"""Rank boundaries on every engine: a customer exactly at a threshold, a same-day second purchase,
a fully returned order, guest orders merged later, and the rules' order (problem overrides)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ibis.backends import BaseBackend
from sqlalchemy.orm import Session, sessionmaker

from kizuna.analytics.ranks.evaluate import ranks_as_of
from kizuna.customers.identity import do_merge
from kizuna.customers.service import do_flag_problem
from kizuna.kit.db import session_scope
from tests.analytics.factories import (
    AS_OF,
    ago,
    at,
    customers,
    event,
    give_back,
    order,
    orders,
    subscribe,
)

Connect = Callable[[], BaseBackend]


def ranked(con: BaseBackend, ids: dict[str, int]) -> dict[str, dict[str, Any]]:
    """The ranked summary row of each named customer (by external id)."""
    names = {cid: name for name, cid in ids.items()}
    rows = ranks_as_of(con, AS_OF).to_pyarrow().to_pylist()
    return {names[r["customer_id"]]: r for r in rows if r["customer_id"] in names}


class TestThresholds:
    def test_loyal_starts_exactly_at_the_spend_and_frequency_thresholds(
        self, record: sessionmaker[Session], analytics: Connect
    ) -> None:
        # given four purchase days in the last 12 months worth exactly ¥50,000, and ¥49,999
        with session_scope(record) as s:
            ids = customers(s, "AT", "BELOW")
            amounts = {
                "AT": (20_000, 10_000, 10_000, 10_000),
                "BELOW": (19_999, 10_000, 10_000, 10_000),
            }
            orders(s, [order(f"{who}-{i}", who, ago(10 + 30 * i), amount)
                       for who, values in amounts.items()
                       for i, amount in enumerate(values)])  # fmt: skip
        # when the ranks are computed
        rows = ranked(analytics(), ids)
        # then the customer at the threshold is loyal and the one a yen below is a repeat
        assert (rows["AT"]["spend_12m"], rows["AT"]["purchase_days_12m"]) == (50_000, 4)
        assert rows["AT"]["rank"] == "loyal"
        assert (rows["BELOW"]["spend_12m"], rows["BELOW"]["rank"]) == (49_999, "repeat")

    def test_recency_and_window_edges_are_whole_local_days(
        self, record: sessionmaker[Session], analytics: Connect
    ) -> None:
        # given last purchases exactly 180 and 179 days ago, and one exactly 365 days ago
        with session_scope(record) as s:
            ids = customers(s, "D180", "D179", "Y365")
            orders(s, [
                order("D180-1", "D180", ago(400)), order("D180-2", "D180", ago(180, hour=0)),
                order("D179-1", "D179", ago(400)), order("D179-2", "D179", ago(179, hour=23)),
                order("Y365-1", "Y365", ago(365)), order("Y365-2", "Y365", ago(364)),
            ])  # fmt: skip
        rows = ranked(analytics(), ids)
        # then 180 days is dormant, 179 is not; the 12-month window holds 364 days back, not 365
        assert (rows["D180"]["recency_days"], rows["D180"]["rank"]) == (180, "dormant")
        assert (rows["D179"]["recency_days"], rows["D179"]["rank"]) == (179, "repeat")
        assert (rows["Y365"]["purchase_days"], rows["Y365"]["purchase_days_12m"]) == (2, 1)
        assert rows["Y365"]["spend_12m"] == 10_000


class TestPurchaseDays:
    def test_a_same_day_second_order_is_not_a_repeat_purchase(
        self, record: sessionmaker[Session], analytics: Connect
    ) -> None:
        # given two orders on one Tokyo day, and two orders either side of Tokyo midnight
        # (both on the same UTC day: 14:30 and 15:30 UTC)
        with session_scope(record) as s:
            ids = customers(s, "SAME", "MIDNIGHT")
            day = AS_OF.replace(day=1)
            orders(s, [
                order("S-1", "SAME", at(day, 9)), order("S-2", "SAME", at(day, 21)),
                order("M-1", "MIDNIGHT", at(day, 23, 30)),
                order("M-2", "MIDNIGHT", at(day.replace(day=2), 0, 30)),
            ])  # fmt: skip
        rows = ranked(analytics(), ids)
        # then the same-day pair is one purchase day (still new); the midnight pair is two
        assert (rows["SAME"]["orders"], rows["SAME"]["purchase_days"]) == (2, 1)
        assert rows["SAME"]["rank"] == "new"
        assert (rows["MIDNIGHT"]["orders"], rows["MIDNIGHT"]["purchase_days"]) == (2, 2)
        assert rows["MIDNIGHT"]["rank"] == "repeat"
        assert rows["MIDNIGHT"]["first_purchase_day"] == AS_OF.replace(day=1)


class TestReturnsAndCancellations:
    def test_a_fully_returned_order_does_not_count(
        self, record: sessionmaker[Session], analytics: Connect
    ) -> None:
        # given two orders, the second returned in full; a partial return; a cancelled order;
        # and a return recorded after the day the ranks describe
        with session_scope(record) as s:
            ids = customers(s, "FULL", "PART", "CANCEL", "LATE")
            orders(s, [
                order("F-1", "FULL", ago(60)), order("F-2", "FULL", ago(30), 8_000),
                order("P-1", "PART", ago(60)), order("P-2", "PART", ago(30), 8_000),
                order("C-1", "CANCEL", ago(60)),
                order("C-2", "CANCEL", ago(30), status="cancelled"),
                order("L-1", "LATE", ago(60)), order("L-2", "LATE", ago(30), 8_000),
            ])  # fmt: skip
            give_back(s, "R-F", "F-2", ago(25), 8_000)
            give_back(s, "R-P", "P-2", ago(25), 3_000)
            give_back(s, "R-L", "L-2", ago(-3), 8_000)
        rows = ranked(analytics(), ids)
        # then only the kept purchases count, net of partial returns
        assert (rows["FULL"]["purchase_days"], rows["FULL"]["spend_total"]) == (1, 10_000)
        assert rows["FULL"]["rank"] == "new"
        assert (rows["PART"]["purchase_days"], rows["PART"]["spend_total"]) == (2, 15_000)
        assert rows["PART"]["rank"] == "repeat"
        assert (rows["CANCEL"]["orders"], rows["CANCEL"]["rank"]) == (1, "new")
        assert (rows["LATE"]["purchase_days"], rows["LATE"]["spend_total"]) == (2, 18_000)

    def test_a_credit_note_naming_no_order_is_counted_apart(
        self, record: sessionmaker[Session], analytics: Connect
    ) -> None:
        with session_scope(record) as s:
            ids = customers(s, "CREDIT")
            orders(s, [order("CR-1", "CREDIT", ago(60))])
            give_back(s, "R-CR", None, ago(20), 2_500, customer="CREDIT")
        row = ranked(analytics(), ids)["CREDIT"]
        assert (row["spend_total"], row["unattributed_return_amount"]) == (10_000, 2_500)


class TestGuestsMergedLater:
    def test_guest_orders_count_for_the_member_once_merged(
        self, record: sessionmaker[Session], analytics: Connect
    ) -> None:
        # given a member with one order, and the same person's guest checkout weeks later
        with session_scope(record) as s:
            ids = customers(s, "MEMBER")
            orders(s, [
                order("G-0", "MEMBER", ago(40)),
                order("G-1", None, ago(10), email="hanako@example.jp"),
            ])  # fmt: skip
        con = analytics()
        guests = {r["customer_id"] for r in ranks_as_of(con, AS_OF).to_pyarrow().to_pylist()}
        guest_id = max(guests - set(ids.values()))
        before = ranked(con, {**ids, "GUEST": guest_id})
        assert before["MEMBER"]["rank"] == "new"
        assert (before["GUEST"]["is_member"], before["GUEST"]["rank"]) == (False, "new")
        # when support merges the guest into the member
        with session_scope(record) as s:
            do_merge(s, ids["MEMBER"], guest_id, actor="support@example.jp")
        # then the member has two purchase days and the guest is gone
        after = ranked(analytics(), {**ids, "GUEST": guest_id})
        assert (after["MEMBER"]["purchase_days"], after["MEMBER"]["rank"]) == (2, "repeat")
        assert "GUEST" not in after


class TestRuleOrder:
    def test_problem_overrides_leads_subscriptions_and_new(
        self, record: sessionmaker[Session], analytics: Connect
    ) -> None:
        with session_scope(record) as s:
            ids = customers(s, "HOT", "COLD", "SUB", "PROBLEM", "FUTURE")
            event(s, "e1", "HOT", "product_view", ago(10))
            event(s, "e2", "COLD", "product_view", ago(40))
            orders(s, [
                order("SUB-1", "SUB", ago(20)), order("PR-1", "PROBLEM", ago(20), 300_000),
                order("FU-1", "FUTURE", ago(-1)),
            ])  # fmt: skip
            subscribe(s, "SUB-S", "SUB", ago(20))
            do_flag_problem(s, ids["PROBLEM"], reason="abusive calls", actor="support")
        rows = ranked(analytics(), ids)
        assert rows["HOT"]["rank"] == "hot_lead"
        assert rows["COLD"]["rank"] == "lead"
        assert (rows["SUB"]["has_subscription"], rows["SUB"]["rank"]) == (True, "subscription")
        assert rows["PROBLEM"]["rank"] == "problem"
        # an order after the day the ranks describe does not count yet
        assert (rows["FUTURE"]["orders"], rows["FUTURE"]["rank"]) == (0, "lead")
