"""The runner: advances due enrolments through their journey's steps.

One pass (``tick``, or ``advance`` for given enrolments) in one transaction:

1. **Claim** the due enrolments with a conditional ``UPDATE … WHERE status = 'active' AND
   due_at <= now RETURNING id``. A second runner at the same moment blocks on those rows
   (PostgreSQL re-checks the condition after the first commits and finds them moved on; SQLite
   has one writer), so no enrolment is advanced twice.
2. **Gate** new enrolments: the trigger's ``confirm`` (still abandoned?) may exit them or look
   again later; the rest get their holdout arm (``uplift.assign``, logged). Held-out customers
   leave with ``holdout`` and get none of the journey's actions.
3. **Walk**: each enrolment moves through waits, conditions and branches (``plan.reach``) until
   it waits for a future time, leaves, or reaches an action. Actions run in bulk per step
   (``actions.HANDLERS``); their outcomes may feed later steps (a coupon code), and the walk
   continues. A switched-off journey's enrolments leave with ``journey_off``.
4. **Record** one ``journey_progress`` row per step reached. It is unique per (enrolment, step)
   and written with the action's effect in the same transaction, so progress is idempotent per
   (customer, journey, step): a pass that fails leaves nothing, and re-running a pass changes
   nothing (the enrolments have moved on). Every effect also has its own idempotency key.

Waits count from when the customer reached the wait (the logical time), so a late pass does not
push the rest of the journey back. Services never commit: the caller commits, then enqueues
``TickReport.pending`` (outbox ids) with ``channels.tasks.enqueue_ids``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kizuna.automation import guards, uplift
from kizuna.automation.journeys import actions
from kizuna.automation.journeys.conditions import Facts, load_facts, needs_of
from kizuna.automation.journeys.definition import Branch, Check, Exit, Wait
from kizuna.automation.journeys.models import Enrolment
from kizuna.automation.journeys.plan import Move, reach
from kizuna.automation.journeys.registry import evaluate
from kizuna.automation.journeys.store import Loaded, load, switches
from kizuna.automation.journeys.triggers import HANDLERS, Verdict
from kizuna.kit.bulk import Bulk, chunks
from kizuna.kit.clock import now

Progress = tuple[int, str, str, int, str, dict[str, Any]]


@dataclass(slots=True)
class TickReport:
    """What a pass did: enrolments advanced, outcomes per ``journey.step:outcome``, and the
    outbox ids to enqueue after commit."""

    advanced: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    pending: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "advanced": self.advanced,
            "outcomes": dict(self.outcomes),
            "pending": len(self.pending),
        }


def due_ids(session: Session, *, at: datetime | None = None, limit: int = 2000) -> list[int]:
    """Ids of active enrolments whose next step is due, oldest first."""
    stmt = (
        select(Enrolment.id)
        .where(Enrolment.status == "active", Enrolment.due_at <= (at or now()))
        .order_by(Enrolment.due_at, Enrolment.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def tick(
    session: Session,
    *,
    at: datetime | None = None,
    limit: int = 2000,
    policy: guards.GuardPolicy | None = None,
) -> TickReport:
    """Advance up to ``limit`` due enrolments."""
    at = at or now()
    return advance(session, due_ids(session, at=at, limit=limit), at=at, policy=policy)


def advance(
    session: Session,
    ids: Sequence[int],
    *,
    at: datetime | None = None,
    policy: guards.GuardPolicy | None = None,
) -> TickReport:
    """Advance the given enrolments that are still due (others are left alone)."""
    at, report = at or now(), TickReport()
    rows: list[Enrolment] = []
    for part in chunks(sorted(set(ids)), 2000):
        claimed = list(
            session.scalars(
                update(Enrolment)
                .where(Enrolment.id.in_(part), Enrolment.status == "active", Enrolment.due_at <= at)
                .values(updated_at=at)
                .returning(Enrolment.id)
                .execution_options(synchronize_session=False)
            )
        )
        if claimed:
            fresh = select(Enrolment).where(Enrolment.id.in_(claimed))
            rows += session.scalars(fresh.execution_options(populate_existing=True)).all()
    report.advanced = len(rows)
    groups: dict[tuple[str, int], list[Enrolment]] = defaultdict(list)
    for row in rows:
        groups[(row.journey_key, row.journey_version)].append(row)
    on = switches(session)
    progress: list[Progress] = []
    for (key, version), group in sorted(groups.items()):
        if not on.get(key, False):
            for row in group:
                _finish(row, "journey_off", at)
            continue
        walk = _Walk(
            actions.Run(session, load(session, key, version), at, policy or guards.GuardPolicy()),
            progress,
            report,
        )
        walk.run(group)
        report.pending += walk.run_state.pending
    _record(session, progress, at)
    session.flush()
    return report


def _finish(row: Enrolment, reason: str, at: datetime) -> None:
    row.status, row.exit_reason, row.due_at, row.updated_at = "done", reason, None, at


@dataclass
class _Walk:
    run_state: actions.Run
    progress: list[Progress]
    report: TickReport

    @property
    def journey(self) -> Loaded:
        return self.run_state.journey

    def run(self, group: list[Enrolment]) -> None:
        at = self.run_state.at
        known = [r for r in group if r.arm]
        active = self._gate([r for r in group if r.arm is None]) + known
        active = [
            r for r in active if r.status == "active" and r.due_at is not None and r.due_at <= at
        ]
        facts = load_facts(self.run_state.session, active, needs_of(self.journey.journey), at)
        clock = {r.id: r.due_at or at for r in active}
        while active:
            acting: dict[str, list[Enrolment]] = defaultdict(list)
            for row in active:
                self._move(row, facts[row.id], clock, acting)
            active = self._act(acting)

    def _gate(self, fresh: list[Enrolment]) -> list[Enrolment]:
        if not fresh:
            return []
        trigger = self.journey.journey.trigger
        confirm = HANDLERS[trigger.type].confirm
        params = {**trigger.params, "_journey": self.journey.key}
        at = self.run_state.at
        verdicts = confirm(self.run_state.session, params, fresh, at) if confirm else {}
        eligible = []
        for row in fresh:
            verdict = verdicts.get(row.id, Verdict())
            if verdict.later is not None:
                row.due_at = verdict.later
            elif not verdict.go:
                _finish(row, verdict.exit_reason or "not_confirmed", at)
                self.report.outcomes[f"{self.journey.key}:{verdict.exit_reason}"] += 1
            else:
                if verdict.context:
                    row.context = {**row.context, **verdict.context}
                eligible.append(row)
        arms = uplift.assign(
            self.run_state.session,
            self.journey.experiment,
            [r.customer_id for r in eligible],
            holdout_share=self.journey.journey.holdout_share,
            at=at,
        )
        for row in eligible:
            row.arm = arms[row.customer_id]
            if row.arm == "holdout":
                _finish(row, "holdout", at)
                self.report.outcomes[f"{self.journey.key}:holdout"] += 1
        return [r for r in eligible if r.status == "active"]

    def _move(
        self,
        row: Enrolment,
        facts: Facts,
        clock: dict[int, datetime],
        acting: dict[str, list[Enrolment]],
    ) -> None:
        journey, at = self.journey.journey, self.run_state.at
        while True:
            move = reach(journey, row.step, row.customer_id, facts, clock[row.id])
            if move.kind == "act":
                acting[row.step].append(row)
                return
            self._note(row, row.step, _word(journey.step(row.step), move, facts), _detail(move))
            if move.kind == "exit" or move.then == "exit":
                _finish(row, _exit_reason(journey.step(row.step), move), at)
                return
            row.step = move.then
            if move.kind == "wait" and move.until is not None:
                clock[row.id] = move.until
                row.due_at = move.until
                if move.until > at:
                    return

    def _act(self, acting: dict[str, list[Enrolment]]) -> list[Enrolment]:
        journey, at = self.journey.journey, self.run_state.at
        moving: list[Enrolment] = []
        for step_id, rows in acting.items():
            step = journey.step(step_id)
            assert not isinstance(step, Wait | Check | Branch | Exit)
            outcomes = actions.HANDLERS[step.action](self.run_state, step, rows)
            follow = journey.after(step_id)
            for row in rows:
                outcome = outcomes[row.id]
                self._note(row, step_id, outcome.outcome, outcome.detail)
                if outcome.context:
                    row.context = {**row.context, **outcome.context}
                if follow == "exit":
                    _finish(row, "completed", at)
                else:
                    row.step = follow
                    moving.append(row)
        return moving

    def _note(self, row: Enrolment, step_id: str, outcome: str, detail: dict[str, Any]) -> None:
        self.progress.append(
            (row.id, self.journey.key, step_id, row.customer_id, outcome[:60], detail)
        )
        self.report.outcomes[f"{self.journey.key}.{step_id}:{outcome.split(':')[0]}"] += 1


def _word(step: object, move: Move, facts: Facts) -> str:
    if isinstance(step, Wait):
        return "waited"
    if isinstance(step, Check):
        return "yes" if evaluate(step.condition.type, facts, step.condition.params) else "no"
    if isinstance(step, Branch):
        return f"path:{move.then}"
    return "exit"


def _detail(move: Move) -> dict[str, Any]:
    return {"until": move.until.isoformat()} if move.until else {"then": move.then}


def _exit_reason(step: object, move: Move) -> str:
    if isinstance(step, Exit):
        return f"exit:{step.id}"
    if isinstance(step, Check | Branch) and move.then == "exit":
        return f"{step.type}:{step.id}"
    return "completed"


def _record(session: Session, progress: list[Progress], at: datetime) -> None:
    if not progress:
        return
    bulk = Bulk(session)
    stamp = bulk.time(at)
    bulk.executemany(
        "INSERT INTO journey_progress (enrolment_id, journey_key, step_id, customer_id, outcome, "
        f"detail, at) VALUES (?, ?, ?, ?, ?, {bulk.json_mark()}, ?) "
        "ON CONFLICT (enrolment_id, step_id) DO NOTHING",
        [(e, k, s, c, o, bulk.json(d), stamp) for e, k, s, c, o, d in progress],
    )
