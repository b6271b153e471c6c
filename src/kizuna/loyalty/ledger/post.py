"""Posting verbs: every change to a points balance goes through one of these functions.

Each verb takes the customer's lock, returns the earlier result when its idempotency key was
already used for the same request (``replayed=True``, nothing changes), sweeps the customer's
timed-out holds and due lots, then writes its entry and movements. Verbs never commit: the
request, command or task that calls them does (``kit.db.session_scope``), so a failure anywhere
leaves nothing behind. ``at`` (default now) is the instant the verb acts at; tests pass it.

The reversal verbs (``do_reverse_for_return``, ``do_reverse_for_cancellation``) live in
``reversal.py`` and the rule-driven ones (``do_earn_for_order``, ``do_award``) in
``earning.py``; both are re-exported here.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from kizuna.kit.clock import now
from kizuna.loyalty.errors import (
    AdjustmentRefused,
    HoldExpired,
    HoldNotActive,
    HoldNotFound,
    InsufficientPoints,
    RedemptionLimit,
)
from kizuna.loyalty.ledger import core, sweep
from kizuna.loyalty.ledger.common import begin, lot_expiry, post_earn, replayed, result
from kizuna.loyalty.ledger.core import EntryResult, check_points, fingerprint
from kizuna.loyalty.ledger.models import EntryKind, PointEntry, PointHold
from kizuna.loyalty.locking import lock_customer
from kizuna.loyalty.programme import Programme
from kizuna.loyalty.versions import active_programme


def do_earn(
    session: Session,
    customer_id: int,
    points: int,
    *,
    key: str,
    reason: str,
    actor: str = "system",
    at: datetime | None = None,
    order_id: int | None = None,
    link_type: str | None = None,
    link_ref: str | None = None,
    note: str | None = None,
    detail: dict[str, Any] | None = None,
    expires_at: datetime | None = None,
) -> EntryResult:
    """Grant ``points`` (EARN): debts are paid first, the rest opens a lot expiring as the
    programme says (or at ``expires_at``)."""
    check_points(points)
    print_ = fingerprint("earn", customer_id, points, reason, order_id, link_type, link_ref)
    return post_earn(
        session,
        customer_id,
        points,
        key=key,
        print_=print_,
        reason=reason,
        actor=actor,
        at=at,
        order_id=order_id,
        link_type=link_type,
        link_ref=link_ref,
        note=note,
        detail=detail,
        expires_at=expires_at,
    )


def _check_limits(programme: Programme, points: int) -> None:
    rule = programme.redemption
    if points < rule.min_points:
        raise RedemptionLimit(f"at least {rule.min_points} points per use", field="points")
    if rule.max_points is not None and points > rule.max_points:
        raise RedemptionLimit(f"at most {rule.max_points} points per use", field="points")


def _take(session: Session, entry: PointEntry, points: int, at: datetime) -> None:
    lots = core.open_lots(session, entry.customer_id, at, need=points)
    core.consume(session, entry, core.plan_consumption(lots, points))


def _funds(session: Session, customer_id: int, points: int) -> tuple[int, int]:
    """The customer's balance and debt lots; ``InsufficientPoints`` if short of ``points``."""
    balance, debts = core.funds(session, customer_id)
    if points and balance < points:
        raise InsufficientPoints(
            f"customer #{customer_id} has {balance} points; {points} requested", field="points"
        )
    return balance, debts


def do_redeem(
    session: Session,
    customer_id: int,
    points: int,
    *,
    key: str,
    actor: str = "system",
    at: datetime | None = None,
    order_id: int | None = None,
    order_ref: str | None = None,
) -> EntryResult:
    """Spend ``points`` now (REDEEM), earliest-expiring lots first."""
    check_points(points)
    print_ = fingerprint("redeem", customer_id, points, order_id, order_ref)
    at, replay = begin(session, customer_id, key, print_, at)
    if replay is not None:
        return result(session, replay, True)
    programme = active_programme(session, at)
    _check_limits(programme, points)
    balance, _ = _funds(session, customer_id, points)
    entry = core.add_entry(
        session,
        customer_id,
        EntryKind.REDEEM,
        -points,
        idempotency_key=key,
        fingerprint=print_,
        reason="redemption",
        actor=actor,
        order_id=order_id,
        link_type="checkout" if order_ref else None,
        link_ref=order_ref,
        programme_version=programme.version,
        created_at=at,
    )
    _take(session, entry, points, at)
    return result(session, entry, balance=balance - points)


def do_hold(
    session: Session,
    customer_id: int,
    points: int,
    *,
    key: str,
    order_ref: str | None = None,
    at: datetime | None = None,
    minutes: int | None = None,
) -> EntryResult:
    """Reserve ``points`` for a checkout (HOLD) until the programme's hold timeout."""
    check_points(points)
    print_ = fingerprint("hold", customer_id, points, order_ref)
    at, replay = begin(session, customer_id, key, print_, at)
    if replay is not None:
        hold = session.query(PointHold).filter_by(hold_entry_id=replay.id).one()
        return result(session, replay, True, hold_id=hold.id)
    programme = active_programme(session, at)
    _check_limits(programme, points)
    balance, _ = _funds(session, customer_id, points)
    until = at + timedelta(minutes=minutes or programme.redemption.hold_minutes)
    entry = core.add_entry(
        session,
        customer_id,
        EntryKind.HOLD,
        -points,
        idempotency_key=key,
        fingerprint=print_,
        reason="checkout",
        link_type="checkout",
        link_ref=order_ref,
        programme_version=programme.version,
        created_at=at,
        detail={"expires_at": until.isoformat()},
    )
    _take(session, entry, points, at)
    hold = PointHold(
        customer_id=customer_id,
        points=points,
        status="active",
        order_ref=order_ref,
        hold_entry_id=entry.id,
        created_at=at,
        expires_at=until,
    )
    session.add(hold)
    session.flush()
    return result(session, entry, balance=balance - points, hold_id=hold.id)


def _load_hold(session: Session, hold_id: int, key: str, print_: str, at: datetime | None):
    hold = session.get(PointHold, hold_id)
    if hold is None:
        raise HoldNotFound(f"there is no hold #{hold_id}", field="hold_id")
    at = at or now()
    lock_customer(session, hold.customer_id)
    session.refresh(hold)
    return hold, at, core.find_replay(session, key, print_)


def do_capture(
    session: Session,
    hold_id: int,
    *,
    key: str,
    order_id: int | None = None,
    at: datetime | None = None,
) -> EntryResult:
    """Turn an active hold into a redemption (CAPTURE, zero points); ``HoldExpired`` after its
    timeout, ``HoldNotActive`` when it was already captured or released."""
    hold, at, replay = _load_hold(session, hold_id, key, fingerprint("capture", hold_id), at)
    if replay is not None:
        return result(session, replay, True)
    timed_out = hold.status == "released" and (hold.settled_at or at) >= hold.expires_at
    if hold.status != "active" and not timed_out:
        raise HoldNotActive(f"hold #{hold_id} is already {hold.status}", field="hold_id")
    if hold.expires_at <= at or timed_out:
        raise HoldExpired(
            f"hold #{hold_id} expired at {hold.expires_at.isoformat()}; hold the points again",
            field="hold_id",
        )
    entry = core.add_entry(
        session,
        hold.customer_id,
        EntryKind.CAPTURE,
        0,
        idempotency_key=key,
        fingerprint=fingerprint("capture", hold_id),
        reason="redemption",
        hold_id=hold.id,
        order_id=order_id,
        link_type="checkout",
        link_ref=hold.order_ref,
        created_at=at,
        detail={"points": hold.points},
    )
    hold.status, hold.settle_entry_id, hold.settled_at = "captured", entry.id, at
    hold.order_id = order_id
    return result(session, entry)


def do_release(
    session: Session,
    hold_id: int,
    *,
    key: str,
    actor: str = "system",
    at: datetime | None = None,
) -> EntryResult:
    """Give a hold's points back (RELEASE) to the lots they came from. Releasing a hold that
    was already released (e.g. by its timeout) returns that release."""
    hold, at, replay = _load_hold(session, hold_id, key, fingerprint("release", hold_id), at)
    if replay is not None:
        return result(session, replay, True)
    if hold.status == "released" and hold.settle_entry_id is not None:
        return result(session, session.get_one(PointEntry, hold.settle_entry_id), True)
    if hold.status != "active":
        raise HoldNotActive(f"hold #{hold_id} is already {hold.status}", field="hold_id")
    entry = sweep.release_hold(session, hold, at, key=key, reason="checkout_released", actor=actor)
    session.flush()
    sweep.sweep(session, hold.customer_id, at)
    return result(session, entry)


def do_adjust(
    session: Session,
    customer_id: int,
    points: int,
    *,
    key: str,
    note: str,
    actor: str,
    at: datetime | None = None,
    expires_at: datetime | None = None,
) -> EntryResult:
    """A manual correction (ADJUST) by ``actor`` with a written ``note``; positive opens a lot,
    negative consumes lots and may not overdraw."""
    if not isinstance(points, int) or isinstance(points, bool) or points == 0:
        raise AdjustmentRefused("an adjustment moves a non-zero whole number", field="points")
    if not (note or "").strip():
        raise AdjustmentRefused("say why: an adjustment needs a note", field="note")
    if not (actor or "").strip() or actor == "system":
        raise AdjustmentRefused("an adjustment needs the person who made it", field="actor")
    print_ = fingerprint("adjust", customer_id, points, note, actor)
    at, replay = begin(session, customer_id, key, print_, at)
    if replay is not None:
        return result(session, replay, True)
    programme = active_programme(session, at)
    balance, debts = _funds(session, customer_id, -points if points < 0 else 0)
    entry = core.add_entry(
        session,
        customer_id,
        EntryKind.ADJUST,
        points,
        idempotency_key=key,
        fingerprint=print_,
        reason="adjustment",
        actor=actor,
        note=note.strip(),
        programme_version=programme.version,
        created_at=at,
    )
    if points > 0:
        core.credit(session, entry, points, at, expires_at or lot_expiry(programme, at), debts > 0)
    else:
        _take(session, entry, -points, at)
    return result(session, entry, balance=balance + points)


def do_expire(session: Session, customer_id: int, *, at: datetime | None = None) -> list[int]:
    """Expire one customer's due lots and time out their holds now; the entry ids posted.
    (The nightly job for everyone is ``tasks.expire_points``.)"""
    lock_customer(session, customer_id)
    return [entry.id for entry in sweep.sweep(session, customer_id, at or now())]


from kizuna.loyalty.ledger.earning import do_award, do_earn_for_order  # noqa: E402
from kizuna.loyalty.ledger.reversal import (  # noqa: E402
    do_reverse_for_cancellation,
    do_reverse_for_return,
)

__all__ = [
    "EntryResult",
    "do_adjust",
    "do_award",
    "do_capture",
    "do_earn",
    "do_earn_for_order",
    "do_expire",
    "do_hold",
    "do_redeem",
    "do_release",
    "do_reverse_for_cancellation",
    "do_reverse_for_return",
    "lot_expiry",
    "post_earn",
    "replayed",
]
