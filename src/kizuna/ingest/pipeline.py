"""The inbound pipeline: record → reactions, written out explicitly (the record never calls up).

Every writer of orders, returns, events and shipments (the REST API, the webhooks, the file
import) records through ``orders`` / ``events`` and then calls the matching reaction here, in the
same transaction:

* an order recorded for the first time, or changed → its points (``do_earn_for_order``, keyed
  ``order:<id>:earn``, so a replay earns nothing more) and the member's stage
  (``evaluate_stage``); a new order also runs the journeys' order hooks (welcome, thanks…);
* an order that became ``cancelled`` → ``do_reverse_for_cancellation`` and a stage evaluation;
* a return (webhook ``return.created``, file import) → ``do_reverse_for_return`` (pro rata,
  cumulative, replay-safe) and a stage evaluation;
* new on-site events / shipments → the journeys' event / shipment hooks.

Nothing is committed here. The caller commits once and then calls ``after_commit(reactions)``,
which rings the outbox's doorbell (``channels.tasks.enqueue_ids``) for the messages the journeys
queued. An order that comes back ``unchanged`` (the same Idempotency-Key or content again) reacts
to nothing.

**Bulk imports** (``orders_imported`` / ``returns_imported``) react only to records from the last
``RECENT`` (48 hours, the journeys' default ``within_hours``): a daily POS export earns its
points, an import of years of history earns none and sends nothing (points for past orders are
the programme's call: grant them with ``do_earn_for_order`` explicitly if the shop wants that).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.automation.journeys import hooks
from kizuna.channels.tasks import enqueue_ids
from kizuna.customers.service import get_customer
from kizuna.events.schemas import EventIn
from kizuna.events.service import store_events
from kizuna.kit.bulk import Bulk, chunks
from kizuna.kit.clock import now
from kizuna.kit.counts import WriteCounts
from kizuna.loyalty.ledger.post import (
    do_earn_for_order,
    do_reverse_for_cancellation,
    do_reverse_for_return,
)
from kizuna.loyalty.stages import evaluate_stage
from kizuna.loyalty.versions import active_programme
from kizuna.orders.models import Order, Return
from kizuna.orders.schemas import OrderIn, ReturnIn
from kizuna.orders.service import record_order, store_returns

RECENT = timedelta(hours=48)


@dataclass(slots=True)
class Reactions:
    """What the pipeline did after the record changed, and the outbox ids to enqueue."""

    earned_points: int = 0
    reversed_points: int = 0
    refunded_points: int = 0
    entry_ids: list[int] = field(default_factory=list)
    stages: dict[int, str] = field(default_factory=dict)
    unmatched_returns: int = 0
    enrolled: dict[str, int] = field(default_factory=dict)
    pending: list[int] = field(default_factory=list)

    def add_journeys(self, reaction: hooks.Reaction) -> None:
        """Fold a journeys hook's result in."""
        for key, count in reaction.enrolled.items():
            self.enrolled[key] = self.enrolled.get(key, 0) + count
        self.pending.extend(reaction.pending)

    def merge(self, other: Reactions) -> None:
        """Add ``other``'s effects to these."""
        self.earned_points += other.earned_points
        self.reversed_points += other.reversed_points
        self.refunded_points += other.refunded_points
        self.entry_ids.extend(other.entry_ids)
        self.stages.update(other.stages)
        self.unmatched_returns += other.unmatched_returns
        for key, count in other.enrolled.items():
            self.enrolled[key] = self.enrolled.get(key, 0) + count
        self.pending.extend(other.pending)

    def to_dict(self) -> dict[str, Any]:
        """JSON form (API responses, ``--json``)."""
        return {
            "earned_points": self.earned_points,
            "reversed_points": self.reversed_points,
            "refunded_points": self.refunded_points,
            "entry_ids": self.entry_ids,
            "stages": {str(k): v for k, v in self.stages.items()},
            "unmatched_returns": self.unmatched_returns,
            "enrolled": self.enrolled,
            "messages_queued": len(self.pending),
        }


@dataclass(frozen=True, slots=True)
class OrderOutcome:
    """``record_order``'s result (inserted / updated / unchanged) and the reactions to it."""

    result: str
    order_id: int
    reactions: Reactions


def ingest_order(session: Session, order: OrderIn, *, at: datetime | None = None) -> OrderOutcome:
    """Record one order (API, webhook) and react to it in the same transaction."""
    result = record_order(session, order)
    order_id = session.scalars(
        select(Order.id).where(Order.order_number == order.order_number)
    ).one()
    reactions = Reactions()
    if result != "unchanged":
        react_to_order(session, order_id, reactions, new=result == "inserted", at=at)
    return OrderOutcome(result, order_id, reactions)


def react_to_order(
    session: Session, order_id: int, reactions: Reactions, *, new: bool, at: datetime | None = None
) -> None:
    """Points and stage for a recorded order (reversal when it is cancelled); journeys if new."""
    order = session.get_one(Order, order_id)
    if order.customer_id is None:
        return
    if order.status == "cancelled":
        reversal = do_reverse_for_cancellation(session, order.id, at=at)
        reactions.reversed_points += reversal.reversed_points
        reactions.refunded_points += reversal.refunded_points
        reactions.entry_ids.extend(reversal.entry_ids)
    else:
        earned = do_earn_for_order(session, order.id, at=at)
        if earned is not None and not earned.replayed:
            reactions.earned_points += earned.points
            reactions.entry_ids.append(earned.entry_id)
    _evaluate(session, order.customer_id, reactions, at, order.id)
    if new:
        reactions.add_journeys(hooks.on_order_recorded(session, order.id, at=at))


def react_to_return(
    session: Session, return_id: int, reactions: Reactions, *, at: datetime | None = None
) -> None:
    """Reverse what the returned goods earned (pro rata) and re-evaluate the member's stage.

    A return that names no order cannot be matched to points; it is counted, not refused."""
    ret = session.get_one(Return, return_id)
    if ret.order_id is None:
        reactions.unmatched_returns += 1
        return
    reversal = do_reverse_for_return(session, return_id, at=at)
    reactions.reversed_points += reversal.reversed_points
    reactions.refunded_points += reversal.refunded_points
    reactions.entry_ids.extend(reversal.entry_ids)
    customer_id = session.get_one(Order, ret.order_id).customer_id
    if customer_id is not None:
        _evaluate(session, customer_id, reactions, at)


def _evaluate(
    session: Session,
    customer_id: int,
    reactions: Reactions,
    at: datetime | None,
    order_id: int | None = None,
) -> None:
    """Re-evaluate the member's stage (guests have none under a members-only programme)."""
    programme = active_programme(session, at or now())
    if programme.members_only and not get_customer(session, customer_id).is_member:
        return
    decision = evaluate_stage(session, customer_id, at=at, order_id=order_id)
    reactions.stages[customer_id] = decision.stage


def ingest_return(
    session: Session, ret: ReturnIn, *, at: datetime | None = None
) -> tuple[str, Reactions]:
    """Record one return (webhook) and reverse its order's points in the same transaction."""
    counts = store_returns(session, [ret])
    result = "inserted" if counts.inserted else "updated" if counts.updated else "unchanged"
    reactions = Reactions()
    if result != "unchanged":
        return_id = session.scalars(
            select(Return.id).where(Return.return_number == ret.return_number)
        ).one()
        react_to_return(session, return_id, reactions, at=at)
    return result, reactions


def ingest_events(
    session: Session, events: Sequence[EventIn], *, at: datetime | None = None
) -> tuple[WriteCounts, Reactions]:
    """Store on-site events and run the journeys' event hooks on the ones not seen before."""
    keys = list({event.event_key for event in events})
    bulk = Bulk(session)
    known = set(bulk.fetch_map("events", "event_key", keys))
    counts = store_events(session, events)
    fresh = [k for k in keys if k not in known]
    reactions = Reactions()
    if fresh:
        ids = list(bulk.fetch_map("events", "event_key", fresh).values())
        reactions.add_journeys(hooks.on_event_recorded(session, ids, at=at))
    return counts, reactions


def shipments_recorded(
    session: Session, shipment_ids: Sequence[int], *, at: datetime | None = None
) -> Reactions:
    """Run the journeys' shipment hooks (shipped, delivered, review request)."""
    reactions = Reactions()
    if shipment_ids:
        reactions.add_journeys(hooks.on_shipments_recorded(session, shipment_ids, at=at))
    return reactions


def _recent(session: Session, model: Any, moment: Any, number: Any, cutoff: datetime) -> dict:
    rows = session.execute(select(number, model.id).where(moment >= cutoff))
    return {key: row_id for key, row_id in rows}


def orders_imported(
    session: Session, order_numbers: Sequence[str], *, at: datetime | None = None
) -> Reactions:
    """React to the orders of a file import placed in the last ``RECENT`` (older: nothing)."""
    at = at or now()
    recent = _recent(session, Order, Order.placed_at, Order.order_number, at - RECENT)
    ids = sorted({recent[n] for n in order_numbers if n in recent})
    reactions = Reactions()
    for order_id in ids:
        react_to_order(session, order_id, reactions, new=False, at=at)
    for part in chunks(ids, 2000):
        reactions.add_journeys(hooks.on_orders_recorded(session, part, at=at))
    return reactions


def returns_imported(
    session: Session, return_numbers: Sequence[str], *, at: datetime | None = None
) -> Reactions:
    """Reverse the points of the returns of a file import from the last ``RECENT``."""
    at = at or now()
    recent = _recent(session, Return, Return.returned_at, Return.return_number, at - RECENT)
    reactions = Reactions()
    for return_id in sorted({recent[n] for n in return_numbers if n in recent}):
        react_to_return(session, return_id, reactions, at=at)
    return reactions


def after_commit(reactions: Reactions) -> int:
    """Enqueue the outbox messages the reactions queued (call only after the commit)."""
    if not reactions.pending:
        return 0
    return enqueue_ids(reactions.pending)
