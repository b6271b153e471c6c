"""Where a customer goes next in a journey: a pure function of the document, the step just
reached, the customer's facts and the clock. The runner (next) persists what this returns.

``Move`` is one of: ``wait`` until a time, ``act`` (run the step's action, then continue),
``go`` to another step now, or ``exit``. A random split uses ``experiments.variant_for`` keyed by
(journey, step), so a customer always takes the same path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from kizuna.automation.experiments import variant_for
from kizuna.automation.journeys.definition import Action, Branch, Check, Exit, Journey, Wait
from kizuna.automation.journeys.registry import Facts, evaluate


@dataclass(frozen=True, slots=True)
class Move:
    """The outcome of reaching ``step``: what to do and the step to continue with."""

    kind: Literal["wait", "act", "go", "exit"]
    step: str
    then: str = "exit"
    until: datetime | None = None


def reach(
    journey: Journey, step_id: str, customer_id: int, facts: Facts, entered_at: datetime
) -> Move:
    """The move for a customer who reached ``step_id`` at ``entered_at``."""
    step = journey.step(step_id)
    follow = journey.after(step_id)
    if isinstance(step, Wait):
        return Move(
            "wait", step_id, follow, entered_at + timedelta(days=step.days, hours=step.hours)
        )
    if isinstance(step, Check):
        holds = evaluate(step.condition.type, facts, step.condition.params)
        return Move("go", step_id, follow if holds else step.otherwise)
    if isinstance(step, Branch):
        return Move("go", step_id, _branch(journey, step, customer_id, facts))
    if isinstance(step, Action):
        return Move("act", step_id, follow)
    assert isinstance(step, Exit)
    return Move("exit", step_id)


def _branch(journey: Journey, step: Branch, customer_id: int, facts: Facts) -> str:
    if step.mode == "random":
        names = [str(i) for i in range(len(step.paths))]
        pick = variant_for(
            f"journey:{journey.key}:{step.id}", customer_id, names, [p.weight for p in step.paths]
        )
        return step.paths[int(pick)].goto
    for path in step.paths:
        if path.condition is None or evaluate(path.condition.type, facts, path.condition.params):
            return path.goto
    return "exit"
