"""Identity unification: a guest order joins the customer whose normalised email or phone it
gives; guests that share an identity are one guest; merged customers are represented by their
survivor."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from kizuna.customers.identity import do_merge
from kizuna.customers.models import Customer, Identity
from kizuna.customers.service import ensure_customers, identity_owners, survivors
from kizuna.kit.db import session_scope
from kizuna.orders.models import Order
from kizuna.orders.service import store_orders
from tests.integration.customers.factories import add_customer, order


def _customer_of(session: Session, order_number: str) -> int | None:
    return session.execute(
        select(Order.customer_id).where(Order.order_number == order_number)
    ).scalar_one()


class TestGuestOrderJoinsMember:
    @pytest.mark.parametrize(
        ("email", "phone"),
        [
            pytest.param("ＴＡＲＯ@EXAMPLE.JP", None, id="email_full_width_upper"),
            pytest.param("Taro@Example.JP", None, id="email_case_only"),
            pytest.param(" taro@example.jp ", None, id="email_spaces"),
            pytest.param(None, "+81 90-1234-5678", id="phone_international"),
            pytest.param(None, "０９０－１２３４－５６７８", id="phone_full_width"),
            pytest.param("new@example.jp", "090 1234 5678", id="unknown_email_known_phone"),
        ],
    )
    def test_matching_identity_joins_the_member(
        self, session: Session, email: str | None, phone: str | None
    ) -> None:
        # given a member with taro@example.jp and 090-1234-5678
        taro = add_customer(session, "C1", email="taro@example.jp", phone="090-1234-5678")
        # when a guest order gives the same email or phone, spelled differently
        counts = store_orders(session, [order("G-1", email=email, phone=phone)])
        # then the order is the member's, and no guest customer was created
        assert counts.inserted == 1
        assert _customer_of(session, "G-1") == taro
        assert session.scalars(select(Customer.external_id)).all() == ["C1"]

    def test_email_wins_over_phone_when_they_name_different_customers(
        self, session: Session
    ) -> None:
        taro = add_customer(session, "C1", email="taro@example.jp")
        add_customer(session, "C2", phone="090-1234-5678")
        store_orders(session, [order("G-1", email="TARO@example.jp", phone="09012345678")])
        assert _customer_of(session, "G-1") == taro

    def test_unknown_guest_becomes_a_guest_customer_with_its_identities(
        self, session: Session
    ) -> None:
        add_customer(session, "C1", email="taro@example.jp")
        store_orders(session, [order("G-1", email="Jiro@Example.jp", phone="+81 80-1111-2222")])
        guest = session.get(Customer, _customer_of(session, "G-1"))
        assert guest is not None
        assert (guest.is_member, guest.registration_channel) == (False, "online")
        found = session.execute(
            select(Identity.kind, Identity.value).where(Identity.customer_id == guest.id)
        ).all()
        assert sorted(map(tuple, found)) == [("email", "jiro@example.jp"), ("phone", "08011112222")]

    def test_guest_orders_sharing_an_email_or_phone_are_one_guest(self, session: Session) -> None:
        # given three guest orders in one batch: email only, email + phone, phone only
        orders = [
            order("G-1", email="hanako@example.jp"),
            order("G-2", email="HANAKO@example.jp", phone="080-1111-2222"),
            order("G-3", phone="+81 80-1111-2222"),
            order("G-4", email="someone.else@example.jp"),
        ]
        # when stored
        store_orders(session, orders)
        # then the first three are one guest, holding both identities; the fourth another
        owners = [_customer_of(session, f"G-{i}") for i in range(1, 5)]
        assert owners[0] == owners[1] == owners[2] != owners[3]
        found = session.execute(
            select(Identity.kind, Identity.value).where(Identity.customer_id == owners[0])
        ).all()
        assert sorted(map(tuple, found)) == [
            ("email", "hanako@example.jp"),
            ("phone", "08011112222"),
        ]

    def test_a_later_guest_order_joins_the_earlier_guest(
        self, sessions: sessionmaker[Session]
    ) -> None:
        with session_scope(sessions) as s:
            store_orders(s, [order("G-1", email="hanako@example.jp")])
        with session_scope(sessions) as s:
            store_orders(s, [order("G-2", email="ｈａｎａｋｏ＠ｅｘａｍｐｌｅ．ｊｐ")])
            assert _customer_of(s, "G-1") == _customer_of(s, "G-2") is not None
            assert s.scalars(select(Customer.is_member)).all() == [False]


class TestMergedCustomersAreRepresentedBySurvivor:
    def test_identity_owner_is_the_survivor_across_a_chain(self, session: Session) -> None:
        # given B merged into A, then A merged into C
        a = add_customer(session, "A", email="a@example.jp")
        b = add_customer(session, "B", email="b@example.jp")
        c = add_customer(session, "C", email="c@example.jp")
        do_merge(session, a, b, actor="support@example.jp")
        do_merge(session, c, a, actor="support@example.jp")
        # then every identity and id leads to C
        assert identity_owners(session, [("email", "b@example.jp"), ("email", "a@example.jp")]) == {
            ("email", "b@example.jp"): c,
            ("email", "a@example.jp"): c,
        }
        assert survivors(session, [a, b, c]) == {a: c, b: c, c: c}

    def test_orders_for_a_merged_customer_id_go_to_the_survivor(self, session: Session) -> None:
        a = add_customer(session, "A")
        b = add_customer(session, "B")
        do_merge(session, a, b, actor="support@example.jp")
        assert ensure_customers(session, {"A": None, "B": None}) == {"A": a, "B": a}
        store_orders(session, [order("B-9", "B")])
        assert _customer_of(session, "B-9") == a

    def test_guest_order_with_a_merged_customers_email_joins_the_survivor(
        self, session: Session
    ) -> None:
        a = add_customer(session, "A", email="a@example.jp")
        b = add_customer(session, "B", email="b@example.jp")
        do_merge(session, a, b, actor="support@example.jp")
        store_orders(session, [order("G-1", email="B@EXAMPLE.JP")])
        assert _customer_of(session, "G-1") == a


class TestGuestBeforeMember:
    def test_member_arriving_after_a_guest_order_takes_it_over(
        self, sessions: sessionmaker[Session]
    ) -> None:
        from kizuna.customers.models import CustomerAudit
        from kizuna.customers.schemas import CustomerIn
        from kizuna.customers.service import check_identities, upsert_customers
        from kizuna.orders.models import Order
        from kizuna.orders.schemas import LineIn, OrderIn
        from kizuna.orders.service import store_orders

        when = datetime(2026, 5, 1, 10, tzinfo=UTC)
        guest_order = OrderIn(
            "G-100", when, (LineIn("SKU", 1, 1000, 1000),), guest_email="late@example.jp"
        )
        with session_scope(sessions) as session:
            store_orders(session, [guest_order])
        member = CustomerIn("M-100", identities=(("email", "late@example.jp"),))
        with session_scope(sessions) as session:
            assert check_identities(session, [member]) == {}
            assert upsert_customers(session, [member]).inserted == 1
        with session_scope(sessions) as session:
            owner = session.scalar(select(Order.customer_id).where(Order.order_number == "G-100"))
            member_row = session.scalar(select(Customer).where(Customer.external_id == "M-100"))
            assert member_row is not None and owner == member_row.id
            merges = session.scalars(
                select(CustomerAudit).where(CustomerAudit.action == "merged")
            ).all()
            assert [m.actor for m in merges] == ["identity match"]
