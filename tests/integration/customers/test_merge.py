"""Manual merge and un-merge: every row of the merged customer moves to the survivor with an audit
row, and un-merge moves exactly those rows back."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from kizuna.customers.errors import MergeRefused
from kizuna.customers.identity import do_merge, do_unmerge
from kizuna.customers.models import ConsentChange, Customer, CustomerAudit, Identity
from kizuna.customers.service import do_flag_problem, do_set_consent
from kizuna.events.models import Event
from kizuna.kit.db import session_scope
from kizuna.kit.errors import NotFound
from kizuna.orders.models import Order, Return
from kizuna.orders.service import store_orders
from tests.integration.customers.factories import add_customer, add_history, order

OWNED = (Identity, ConsentChange, Order, Return, Event)


def ownership(session: Session) -> dict[str, list[tuple[int, int | None]]]:
    """``(row id, customer id)`` of every row that belongs to a customer, by table."""
    return {
        model.__tablename__: sorted(
            map(tuple, session.execute(select(model.id, model.customer_id)))
        )
        for model in OWNED
    }


@pytest.fixture
def pair(sessions: sessionmaker[Session]) -> tuple[int, int]:
    """Taro (member, C1) and his guest self (G1), each with identities, consent and history."""
    with session_scope(sessions) as s:
        taro = add_customer(s, "C1", email="taro@example.jp", member_number="M-1")
        guest = add_customer(
            s, "G1", member=False, email="taro.y@example.com", phone="090-1234-5678"
        )
        add_history(s, "C1", "T")
        add_history(s, "G1", "G")
        do_set_consent(s, guest, "email", True, source="checkout")
    return taro, guest


class TestMerge:
    def test_every_row_moves_to_the_survivor_with_an_audit_row(
        self, sessions: sessionmaker[Session], pair: tuple[int, int]
    ) -> None:
        taro, guest = pair
        with session_scope(sessions) as s:
            before = ownership(s)
        # when support merges the guest into Taro
        with session_scope(sessions) as s:
            audit_id = do_merge(s, taro, guest, actor="support@example.jp").id
        # then every row that was the guest's is Taro's, and the guest points at Taro
        with session_scope(sessions) as s:
            after = ownership(s)
            for table, rows in before.items():
                assert after[table] == [(rid, taro if cid == guest else cid) for rid, cid in rows]
            assert s.get(Customer, guest).merged_into_id == taro  # type: ignore[union-attr]
            audit = s.get(CustomerAudit, audit_id)
            assert audit is not None
            assert (audit.customer_id, audit.action, audit.actor, audit.reverted_at) == (
                taro,
                "merged",
                "support@example.jp",
                None,
            )
            moved = {
                table: sorted(rid for rid, cid in rows if cid == guest)
                for table, rows in before.items()
            }
            assert audit.detail == {"merged_id": guest, "moved": moved}
            assert {table: len(ids) for table, ids in moved.items()} == {
                "identities": 2,
                "consent_changes": 1,
                "orders": 2,
                "returns": 1,
                "events": 2,
            }

    @pytest.mark.parametrize(
        ("case", "message", "error"),
        [
            pytest.param(
                "self", "a customer cannot be merged into itself", MergeRefused, id="into_itself"
            ),
            pytest.param(
                "merged_away",
                "one of these customers was already merged away",
                MergeRefused,
                id="already_merged_away",
            ),
            pytest.param(
                "into_merged",
                "one of these customers was already merged away",
                MergeRefused,
                id="survivor_merged_away",
            ),
            pytest.param(
                "unknown", "customer #999999 does not exist", NotFound, id="unknown_customer"
            ),
        ],
    )
    def test_refused_merges_change_nothing(
        self,
        sessions: sessionmaker[Session],
        pair: tuple[int, int],
        case: str,
        message: str,
        error: type[Exception],
    ) -> None:
        taro, guest = pair
        with session_scope(sessions) as s:
            third = add_customer(s, "C3")
            do_merge(s, taro, third, actor="support@example.jp")
            before = ownership(s)
        survivor, merged = {
            "self": (taro, taro),
            "merged_away": (guest, third),
            "into_merged": (third, guest),
            "unknown": (taro, 999_999),
        }[case]
        with pytest.raises(error) as caught, session_scope(sessions) as s:
            do_merge(s, survivor, merged, actor="support@example.jp")
        assert caught.value.message == message  # type: ignore[attr-defined]
        with session_scope(sessions) as s:
            assert ownership(s) == before
            assert s.scalars(select(CustomerAudit.action)).all() == ["merged"]


class TestUnmerge:
    def test_unmerge_restores_exactly_what_the_merge_moved(
        self, sessions: sessionmaker[Session], pair: tuple[int, int]
    ) -> None:
        # given the guest merged into Taro, and afterwards a new order of Taro's own
        taro, guest = pair
        with session_scope(sessions) as s:
            before = ownership(s)
            audit_id = do_merge(s, taro, guest, actor="support@example.jp").id
        with session_scope(sessions) as s:
            store_orders(s, [order("T-3", "C1")])
            new_order = s.scalar(select(Order.id).where(Order.order_number == "T-3"))
        # when the merge is undone
        with session_scope(sessions) as s:
            restored = do_unmerge(s, audit_id, actor="admin@example.jp")
            assert restored.id == guest
        # then every moved row is the guest's again, and Taro keeps only his own rows
        with session_scope(sessions) as s:
            after = ownership(s)
            assert {
                t: [r for r in rows if r != (new_order, taro)] for t, rows in after.items()
            } == before
            assert (new_order, taro) in after["orders"]
            assert s.get(Customer, guest).merged_into_id is None  # type: ignore[union-attr]
            merge = s.get(CustomerAudit, audit_id)
            assert merge is not None and merge.reverted_at is not None
            undo = s.execute(
                select(CustomerAudit).where(CustomerAudit.action == "unmerged")
            ).scalar_one()
            assert (undo.customer_id, undo.actor, undo.detail) == (
                taro,
                "admin@example.jp",
                {"merged_id": guest, "merge_audit_id": audit_id},
            )

    def test_a_merge_can_be_undone_only_once(
        self, sessions: sessionmaker[Session], pair: tuple[int, int]
    ) -> None:
        taro, guest = pair
        with session_scope(sessions) as s:
            audit_id = do_merge(s, taro, guest, actor="support@example.jp").id
        with session_scope(sessions) as s:
            do_unmerge(s, audit_id, actor="admin@example.jp")
        with pytest.raises(NotFound) as caught, session_scope(sessions) as s:
            do_unmerge(s, audit_id, actor="admin@example.jp")
        assert caught.value.to_dict() == {
            "code": "not_found",
            "message": f"no open merge #{audit_id}",
            "field": "audit_id",
        }

    def test_merge_again_after_unmerge(
        self, sessions: sessionmaker[Session], pair: tuple[int, int]
    ) -> None:
        taro, guest = pair
        with session_scope(sessions) as s:
            first = do_merge(s, taro, guest, actor="support@example.jp").id
        with session_scope(sessions) as s:
            do_unmerge(s, first, actor="support@example.jp")
        with session_scope(sessions) as s:
            do_merge(s, taro, guest, actor="support@example.jp")
            assert {cid for _, cid in ownership(s)["orders"]} == {taro}

    def test_only_merge_audit_rows_can_be_undone(
        self, sessions: sessionmaker[Session], pair: tuple[int, int]
    ) -> None:
        taro, _guest = pair
        with session_scope(sessions) as s:
            do_flag_problem(s, taro, reason="暴言", actor="support@example.jp")
            flag = s.execute(select(CustomerAudit.id)).scalar_one()
        with pytest.raises(NotFound, match=f"no open merge #{flag}"), session_scope(sessions) as s:
            do_unmerge(s, flag, actor="admin@example.jp")
