"""The journey document: validation, registries, and the pure next-step planner."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from kizuna.automation.journeys.definition import Journey
from kizuna.automation.journeys.plan import reach
from kizuna.automation.journeys.registry import ACTIONS, CONDITIONS, TRIGGERS

WELCOME: dict[str, Any] = {
    "key": "welcome",
    "name": "初回購入のお礼",
    "trigger": {"type": "first_purchase"},
    "steps": [
        {
            "type": "action",
            "id": "thanks",
            "action": "send_message",
            "params": {"template": "welcome", "channel": "email"},
        },
        {"type": "wait", "id": "week", "days": 7},
        {
            "type": "condition",
            "id": "bought_again",
            "condition": {"type": "ordered_since_enrolment", "params": {"min_orders": 2}},
            "otherwise": "split",
        },
        {"type": "exit", "id": "done"},
        {
            "type": "branch",
            "id": "split",
            "mode": "random",
            "paths": [{"goto": "coupon", "weight": 1}, {"goto": "points", "weight": 1}],
        },
        {"type": "action", "id": "coupon", "action": "issue_coupon", "params": {"coupon": "W10"}},
        {"type": "exit", "id": "after_coupon"},
        {"type": "action", "id": "points", "action": "grant_points", "params": {"points": 300}},
    ],
}
AT = datetime(2024, 6, 1, tzinfo=UTC)


def test_round_trips_as_json() -> None:
    journey = Journey.model_validate(WELCOME)
    assert Journey.model_validate_json(journey.model_dump_json()) == journey
    assert journey.holdout_share == 0.10 and journey.enabled is False


@pytest.mark.parametrize(
    ("change", "message"),
    [
        pytest.param({"trigger": {"type": "moon_phase"}}, "unknown trigger", id="trigger"),
        pytest.param(
            {"steps": [{"type": "exit", "id": "a"}, {"type": "exit", "id": "a"}]},
            "repeated: a",
            id="duplicate_ids",
        ),
        pytest.param(
            {
                "steps": [
                    {
                        "type": "condition",
                        "id": "c",
                        "otherwise": "nowhere",
                        "condition": {"type": "rank_in", "params": {"ranks": []}},
                    }
                ]
            },
            "unknown step 'nowhere'",
            id="bad_goto",
        ),
        pytest.param(
            {"steps": [{"type": "action", "id": "x", "action": "teleport"}]},
            "unknown action",
            id="action",
        ),
        pytest.param(
            {"steps": [{"type": "nap", "id": "x"}]},
            "does not match any of the expected tags",
            id="step_type",
        ),
    ],
)
def test_invalid_documents_say_what_is_wrong(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        Journey.model_validate(WELCOME | change)


def test_planner_walks_the_welcome_journey() -> None:
    journey = Journey.model_validate(WELCOME)
    assert reach(journey, "thanks", 1, {}, AT).kind == "act"
    wait = reach(journey, "week", 1, {}, AT)
    assert (wait.kind, wait.then, wait.until) == ("wait", "bought_again", AT + timedelta(days=7))
    assert reach(journey, "bought_again", 1, {"orders_since_enrolment": 2}, AT).then == "done"
    assert reach(journey, "bought_again", 1, {"orders_since_enrolment": 1}, AT).then == "split"
    paths = [reach(journey, "split", c, {}, AT).then for c in range(2000)]
    assert paths == [reach(journey, "split", c, {}, AT).then for c in range(2000)]
    assert 0.45 < paths.count("coupon") / 2000 < 0.55
    assert reach(journey, "points", 1, {}, AT).then == "exit"


def test_every_registered_type_has_a_label() -> None:
    assert ACTIONS["send_message"].describe({"template": "welcome", "channel": "email"}) == (
        "Send welcome by email"
    )
    assert all(kind.label for kind in (*TRIGGERS.values(), *CONDITIONS.values()))
    assert all(kind.evaluate is not None for kind in CONDITIONS.values())
