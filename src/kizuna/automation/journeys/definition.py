"""The journey document: a trigger, then steps (wait, condition, branch, action, exit).

Steps run in list order unless one jumps (``goto``); jumps only go forward, so a journey always
ends and an enrolment reaches each step at most once. Each step has a stable ``id``: progress,
the outbox dedupe key (``j:<journey>:<step>:<customer>``) and the per-step funnel all hang on it,
so renaming a step is a new step. The document is data (Pydantic, JSON/TOML in and out); the
handlers that interpret triggers, conditions and actions are in ``registry.py``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from kizuna.automation.journeys.registry import ACTIONS, CONDITIONS, TRIGGERS

StepId = Annotated[str, Field(pattern=r"^[a-z0-9_]{1,40}$")]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Trigger(_Model):
    """What enrols a customer: a registered trigger type and its parameters."""

    type: str
    params: dict[str, Any] = Field(default_factory=dict)


class Condition(_Model):
    """A registered condition type and its parameters (evaluated per customer)."""

    type: str
    params: dict[str, Any] = Field(default_factory=dict)


class Wait(_Model):
    """Wait before the next step (``hours`` and/or ``days``)."""

    type: Literal["wait"] = "wait"
    id: StepId
    days: int = Field(default=0, ge=0)
    hours: int = Field(default=0, ge=0)


class Check(_Model):
    """Continue when ``condition`` holds, else go to ``otherwise`` (a step id or ``exit``)."""

    type: Literal["condition"] = "condition"
    id: StepId
    condition: Condition
    otherwise: str = "exit"


class Path(_Model):
    """One way out of a branch: a weight for random splits, or a condition, and a target."""

    goto: str
    weight: float = Field(default=1.0, gt=0)
    condition: Condition | None = None


class Branch(_Model):
    """``random`` split by weight (deterministic per customer) or the first ``conditional``
    path whose condition holds (the last path without a condition is the default)."""

    type: Literal["branch"] = "branch"
    id: StepId
    mode: Literal["random", "conditional"] = "random"
    paths: list[Path] = Field(min_length=2)


class Action(_Model):
    """Do something: a registered action type (send_message, grant_points, …) and parameters;
    then continue with ``next`` (a later step or ``exit``), else the following step."""

    type: Literal["action"] = "action"
    id: StepId
    action: str
    params: dict[str, Any] = Field(default_factory=dict)
    next: str | None = None


class Exit(_Model):
    """Leave the journey."""

    type: Literal["exit"] = "exit"
    id: StepId


Step = Annotated[Wait | Check | Branch | Action | Exit, Field(discriminator="type")]


class Journey(_Model):
    """A journey document; ``holdout_share`` of enrolled customers get none of its actions."""

    key: StepId
    name: str
    name_en: str = ""
    trigger: Trigger
    steps: list[Step] = Field(min_length=1)
    holdout_share: float = Field(default=0.10, ge=0, lt=1)
    enabled: bool = False
    conversion_days: int = Field(default=7, ge=1, le=90)
    description: str = ""

    @model_validator(mode="after")
    def _check(self) -> Journey:
        ids = [step.id for step in self.steps]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"step ids must be unique; repeated: {', '.join(duplicates)}")
        known = set(ids) | {"exit"}
        for index, step in enumerate(self.steps):
            for target in _targets(step):
                if target not in known:
                    raise ValueError(f"step {step.id!r} goes to unknown step {target!r}")
                if target != "exit" and ids.index(target) <= index:
                    raise ValueError(
                        f"step {step.id!r} goes back to {target!r}; jumps only go forward"
                    )
        _check_registered(self)
        return self

    def step(self, step_id: str) -> Wait | Check | Branch | Action | Exit:
        """The step with ``step_id`` (KeyError if absent)."""
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def after(self, step_id: str) -> str:
        """The id of the step that follows ``step_id`` (its ``next``, else the following step in
        order), or ``exit``."""
        step = self.step(step_id)
        if isinstance(step, Action) and step.next:
            return step.next
        ids = [step.id for step in self.steps]
        index = ids.index(step_id)
        return ids[index + 1] if index + 1 < len(ids) else "exit"


def _targets(step: Wait | Check | Branch | Action | Exit) -> list[str]:
    if isinstance(step, Check):
        return [step.otherwise]
    if isinstance(step, Branch):
        return [path.goto for path in step.paths]
    if isinstance(step, Action) and step.next:
        return [step.next]
    return []


def _check_registered(journey: Journey) -> None:
    if journey.trigger.type not in TRIGGERS:
        raise ValueError(f"unknown trigger {journey.trigger.type!r}; known: {sorted(TRIGGERS)}")
    for step in journey.steps:
        conditions = [step.condition] if isinstance(step, Check) else []
        if isinstance(step, Branch):
            conditions += [p.condition for p in step.paths if p.condition is not None]
        for condition in conditions:
            if condition.type not in CONDITIONS:
                raise ValueError(f"step {step.id!r}: unknown condition {condition.type!r}")
        if isinstance(step, Action) and step.action not in ACTIONS:
            raise ValueError(f"step {step.id!r}: unknown action {step.action!r}")
