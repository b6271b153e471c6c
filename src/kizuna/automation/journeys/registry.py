"""Registries of journey triggers, conditions and actions: type id → label template (shown in the
editor and the audit log) and, for conditions, a pure ``evaluate(facts, params)``.

Triggers and actions only declare themselves here; the scanners that find triggered customers and
the action handlers (send_message → ``automation.sending.submit``, grant_points → loyalty) are
wired by the runner, the next step of this package.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Facts = Mapping[str, Any]


@dataclass(frozen=True)
class Kind:
    """A registered type: its label template and, for conditions, its evaluator."""

    label: str
    evaluate: Callable[[Facts, Mapping[str, Any]], bool] | None = None

    def describe(self, params: Mapping[str, Any]) -> str:
        """The label with the parameters filled in."""
        try:
            return self.label.format(**params)
        except (KeyError, IndexError):
            return self.label


TRIGGERS: dict[str, Kind] = {
    "first_purchase": Kind("A customer places their first order"),
    "order_placed": Kind("An order is placed"),
    "shipped": Kind("An order ships"),
    "delivered": Kind("An order is delivered"),
    "cart_abandoned": Kind("No purchase {hours} hours after cart activity"),
    "birthday": Kind("{days_before} days before the customer's birthday"),
    "anniversary": Kind("{days_before} days before the registration anniversary"),
    "entered_rank": Kind("The customer enters the rank {rank}"),
    "stage_changed": Kind("The member stage goes {direction}"),
    "points_expiring": Kind("Points expire within {days} days"),
    "reward_usable": Kind("The points balance reaches {threshold}"),
    "review_request": Kind("{days_after} days after delivery"),
    "survey_request": Kind("{days_after} days after an order"),
    "segment_entered": Kind("The customer enters the segment {segment}"),
}


def _ordered_since(facts: Facts, params: Mapping[str, Any]) -> bool:
    return bool(facts.get("orders_since_enrolment", 0) >= params.get("min_orders", 1))


def _rank_is(facts: Facts, params: Mapping[str, Any]) -> bool:
    return facts.get("rank") in set(params.get("ranks", []))


def _age_at_least(facts: Facts, params: Mapping[str, Any]) -> bool:
    age = facts.get("age")
    return age is not None and age >= params["years"]


def _has_channel(facts: Facts, params: Mapping[str, Any]) -> bool:
    return params["channel"] in set(facts.get("consented_channels", ()))


CONDITIONS: dict[str, Kind] = {
    "ordered_since_enrolment": Kind(
        "Ordered at least {min_orders} time(s) since entering", _ordered_since
    ),
    "rank_in": Kind("Rank is one of {ranks}", _rank_is),
    "age_at_least": Kind("Is at least {years} years old", _age_at_least),
    "has_consent": Kind("Agreed to messages by {channel}", _has_channel),
}

ACTIONS: dict[str, Kind] = {
    "send_message": Kind("Send {template} by {channel}"),
    "grant_points": Kind("Grant {points} points"),
    "issue_coupon": Kind("Issue the coupon {coupon}"),
    "set_attribute": Kind("Set {name} to {value}"),
    "notify_staff": Kind("Notify staff: {message}"),
}


def evaluate(condition_type: str, facts: Facts, params: Mapping[str, Any]) -> bool:
    """Evaluate a registered condition for one customer's facts."""
    kind = CONDITIONS[condition_type]
    assert kind.evaluate is not None
    return kind.evaluate(facts, params)
