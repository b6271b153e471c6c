"""Opening balances from the system a shop leaves: ordinary lots, idempotent, reconciled, spendable
earliest-expiry first, and refused with the row and field when wrong (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kizuna.kit.errors import ValidationFailed
from kizuna.loyalty.ledger import post
from kizuna.loyalty.ledger.balance import balance, points_liability, verify_ledger
from kizuna.loyalty.ledger.models import PointEntry
from kizuna.loyalty.ledger.opening import OpeningLot, do_import_opening_balances

from .factories import T0, days, member


def _lots(a: int, b: int) -> list[OpeningLot]:
    return [
        OpeningLot(a, 300, T0 - days(200), T0 + days(30), ref="2025-10"),
        OpeningLot(a, 500, T0 - days(20), T0 + days(300), ref="2026-04"),
        OpeningLot(b, 1_000, T0 - days(10), None),
    ]


def test_imported_lots_are_ordinary_points(session: Session) -> None:
    a, b = member(session, "A"), member(session, "B")
    counts = do_import_opening_balances(session, _lots(a, b), source="uchide")
    assert (counts.inserted, counts.unchanged) == (3, 0)
    assert balance(session, a, at=T0).points == 800
    assert balance(session, b, at=T0).points == 1_000
    assert verify_ledger(session) == []
    # the liability report counts them, by month of expiry
    assert points_liability(session, at=T0).points == 1_800
    # a redemption spends the earliest-expiring imported lot first
    post.do_redeem(session, a, 400, key="r1", at=T0)
    assert balance(session, a, at=T0 + days(31)).points == 400
    assert verify_ledger(session) == []


def test_importing_again_changes_nothing(session: Session) -> None:
    a, b = member(session, "A"), member(session, "B")
    do_import_opening_balances(session, _lots(a, b), source="uchide")
    counts = do_import_opening_balances(session, _lots(a, b), source="uchide")
    assert (counts.inserted, counts.unchanged) == (0, 3)
    assert session.scalar(select(func.count()).select_from(PointEntry)) == 3


def test_entries_say_where_the_points_came_from(session: Session) -> None:
    a, b = member(session, "A"), member(session, "B")
    do_import_opening_balances(session, _lots(a, b), source="uchide", actor="staff@example.jp")
    entry = session.scalars(select(PointEntry).where(PointEntry.customer_id == b)).one()
    assert (entry.kind, entry.reason, entry.actor, entry.link_ref) == (
        "earn", "opening_balance", "staff@example.jp", "uchide"
    )  # fmt: skip


@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (dict(points=0), "points"),
        (dict(points=-5), "points"),
        (dict(expires_at=T0 - days(300)), "expires_at"),
    ],
)
def test_a_bad_row_is_named_and_nothing_is_written(session: Session, bad, field) -> None:
    a = member(session, "A")
    good = OpeningLot(a, 100, T0 - days(10), T0 + days(10))
    wrong = OpeningLot(**{"customer_id": a, "points": 100, "earned_at": T0 - days(200),
                          "expires_at": T0 + days(10), "ref": "2", **bad})  # fmt: skip
    with pytest.raises(ValidationFailed) as caught:
        do_import_opening_balances(session, [good, wrong], source="uchide")
    assert caught.value.field == field
    assert "row 2" in caught.value.message
    assert session.scalar(select(func.count()).select_from(PointEntry)) == 0
