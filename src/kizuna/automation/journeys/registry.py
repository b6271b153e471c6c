"""Registries of journey triggers, conditions and actions: type id → label template (shown in the
editor and the audit log) and, for conditions, a pure ``evaluate(facts, params)``.

Triggers and actions only declare themselves here; the scanners and hooks that find triggered
customers are in ``triggers.py``/``scanners.py``, the action handlers in ``actions.py``. A
condition names the ``needs`` (facts) it reads, so ``conditions.load_facts`` fetches only those.
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
    needs: tuple[str, ...] = ()

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
    "warranty_expiring": Kind("{days_before} days before an extended warranty ends"),
    "reward_usable": Kind("The points balance reaches {threshold}"),
    "review_request": Kind("{days_after} days after delivery"),
    "survey_request": Kind("{days_after} days after an order"),
    "segment_entered": Kind("The customer enters the segment {segment}"),
    "dormant": Kind("No purchase for {days} days"),
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


def _not_ordered_since(facts: Facts, params: Mapping[str, Any]) -> bool:
    return not _ordered_since(facts, params)


def _stage_is(facts: Facts, params: Mapping[str, Any]) -> bool:
    return facts.get("stage") in set(params.get("stages", []))


def _points_at_least(facts: Facts, params: Mapping[str, Any]) -> bool:
    return bool(facts.get("points", 0) >= params["points"])


def _is_member(facts: Facts, params: Mapping[str, Any]) -> bool:
    return bool(facts.get("is_member", False))


def _attribute_is(facts: Facts, params: Mapping[str, Any]) -> bool:
    return bool((facts.get("attributes") or {}).get(params["name"]) == params.get("value"))


_ORDERS = ("orders_since_enrolment",)
CONDITIONS: dict[str, Kind] = {
    "ordered_since_enrolment": Kind(
        "Ordered at least {min_orders} time(s) since entering", _ordered_since, _ORDERS
    ),
    "not_ordered_since_enrolment": Kind(
        "Has not ordered since entering", _not_ordered_since, _ORDERS
    ),
    "rank_in": Kind("Rank is one of {ranks}", _rank_is, ("rank",)),
    "age_at_least": Kind("Is at least {years} years old", _age_at_least, ("age",)),
    "has_consent": Kind("Agreed to messages by {channel}", _has_channel, ("consented_channels",)),
    "stage_in": Kind("Member stage is one of {stages}", _stage_is, ("stage",)),
    "points_at_least": Kind("Has at least {points} points", _points_at_least, ("points",)),
    "is_member": Kind("Is a registered member", _is_member, ("is_member",)),
    "attribute_is": Kind("Attribute {name} is {value}", _attribute_is, ("attributes",)),
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
