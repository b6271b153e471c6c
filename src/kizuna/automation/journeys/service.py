"""Journey service functions for the dashboard, the API and the CLI: each returns plain dicts
(the JSON the page and ``--json`` print), and the verbs never commit.

* ``install_presets``: store the ready-made journeys the shop does not have yet (switched off)
  and the coupon templates they issue;
* ``set_journey_enabled`` / ``publish_journey``: the switch and a new version (audited);
* ``list_journeys``: ``kizuna journeys list``: on/off, enrolments, sends, conversions, uplift;
* ``journey_detail``: the steps with their labels and per-step funnel, enrolments by outcome,
  sends by status, and uplift with its confidence interval;
* ``uplift_report``: ``kizuna uplift JOURNEY``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kizuna.automation import uplift
from kizuna.automation.journeys import presets as packaged
from kizuna.automation.journeys.definition import Action, Branch, Check, Exit, Journey, Wait
from kizuna.automation.journeys.models import Enrolment, JourneyRow, StepProgress
from kizuna.automation.journeys.registry import ACTIONS, CONDITIONS, TRIGGERS
from kizuna.automation.journeys.store import Loaded, do_publish, do_set_enabled, load, load_all
from kizuna.channels.outbox import status_counts
from kizuna.loyalty.coupons import do_create_template
from kizuna.loyalty.models import CouponTemplate

LIVE = ("pending", "claimed", "sending", "sent")


def install_presets(
    session: Session, *, actor: str, keys: Sequence[str] | None = None, enable: bool = False
) -> dict[str, Any]:
    """Store the packaged journeys (all, or ``keys``) that are not stored yet, and the coupon
    templates they use; existing journeys are left as the shop edited them."""
    installed = []
    for key in keys or packaged.names():
        if session.get(JourneyRow, key) is not None:
            continue
        doc = packaged.preset(key).model_copy(update={"enabled": enable})
        do_publish(session, doc, actor=actor, note="ready-made journey")
        installed.append(key)
    coupons = []
    for code, spec in packaged.COUPONS.items():
        if session.scalar(select(CouponTemplate.id).where(CouponTemplate.code == code)) is None:
            do_create_template(session, code, spec["name"], spec["rules"], actor=actor)
            coupons.append(code)
    return {"installed": installed, "coupon_templates": coupons}


def set_journey_enabled(session: Session, key: str, enabled: bool, *, actor: str) -> dict[str, Any]:
    """Switch a journey on or off; returns its summary line."""
    return _summary(session, do_set_enabled(session, key, enabled, actor=actor), measure=False)


def publish_journey(
    session: Session, document: dict[str, Any] | Journey, *, actor: str, note: str | None = None
) -> dict[str, Any]:
    """Publish a journey document as a new version (``ValidationError`` names the field)."""
    return _summary(session, do_publish(session, document, actor=actor, note=note), measure=False)


def list_journeys(session: Session, *, measure: bool = True) -> list[dict[str, Any]]:
    """One line per journey: switch, trigger, enrolments, sends, conversions and uplift."""
    return [_summary(session, journey, measure=measure) for journey in load_all(session)]


def _summary(session: Session, journey: Loaded, *, measure: bool) -> dict[str, Any]:
    doc = journey.journey
    sends = status_counts(session, "journey", doc.key)
    counts = dict(
        session.execute(
            select(Enrolment.status, func.count())
            .where(Enrolment.journey_key == doc.key)
            .group_by(Enrolment.status)
        ).all()
    )
    line: dict[str, Any] = {
        "key": doc.key,
        "name": doc.name,
        "name_en": doc.name_en or doc.name,
        "enabled": journey.enabled,
        "version": journey.version,
        "trigger": doc.trigger.type,
        "trigger_label": TRIGGERS[doc.trigger.type].describe(doc.trigger.params),
        "holdout_share": doc.holdout_share,
        "enrolled": sum(counts.values()),
        "active": counts.get("active", 0),
        "sends": sum(n for status, n in sends.items() if status in LIVE),
        "sent": sends.get("sent", 0),
    }
    if measure:
        result = uplift.measure(session, journey.experiment, days=doc.conversion_days)
        line["conversions"] = result.treatment.converters
        line["uplift"] = {
            "verdict": result.verdict,
            "conversion_diff": result.rate_diff[0],
            "low": result.rate_diff[1],
            "high": result.rate_diff[2],
            "note": result.note,
        }
    return line


def describe_step(step: Wait | Check | Branch | Action | Exit) -> str:
    """The step in words (editor, funnel, audit)."""
    if isinstance(step, Wait):
        return f"Wait {step.days} day(s) {step.hours} hour(s)".replace(" 0 hour(s)", "")
    if isinstance(step, Check):
        label = CONDITIONS[step.condition.type].describe(step.condition.params)
        return f"If: {label}; otherwise go to {step.otherwise}"
    if isinstance(step, Branch):
        if step.mode == "random":
            total = sum(p.weight for p in step.paths)
            parts = [f"{p.weight / total:.0%} → {p.goto}" for p in step.paths]
            return "Random split: " + ", ".join(parts)
        parts = [
            f"{CONDITIONS[p.condition.type].describe(p.condition.params)} → {p.goto}"
            if p.condition
            else f"otherwise → {p.goto}"
            for p in step.paths
        ]
        return "Branch: " + "; ".join(parts)
    if isinstance(step, Action):
        return ACTIONS[step.action].describe({"channel": "the preferred channel", **step.params})
    return "Exit"


def journey_detail(session: Session, key: str) -> dict[str, Any]:
    """The journey page: steps with labels and funnel, enrolments, sends and uplift with CI."""
    journey = load(session, key)
    doc = journey.journey
    funnel: dict[str, dict[str, int]] = {}
    rows = session.execute(
        select(StepProgress.step_id, StepProgress.outcome, func.count())
        .where(StepProgress.journey_key == key)
        .group_by(StepProgress.step_id, StepProgress.outcome)
    )
    for step_id, outcome, count in rows:
        word = outcome.split(":")[0] if not outcome.startswith(("path:", "skipped:")) else outcome
        bucket = funnel.setdefault(step_id, {})
        bucket[word] = bucket.get(word, 0) + count
    exits = dict(
        session.execute(
            select(Enrolment.exit_reason, func.count())
            .where(Enrolment.journey_key == key, Enrolment.status == "done")
            .group_by(Enrolment.exit_reason)
        ).all()
    )
    result = uplift.measure(session, journey.experiment, days=doc.conversion_days)
    return {
        **_summary(session, journey, measure=False),
        "description": doc.description,
        "steps": [
            {
                "id": step.id,
                "type": step.type,
                "label": describe_step(step),
                "reached": sum(funnel.get(step.id, {}).values()),
                "outcomes": funnel.get(step.id, {}),
            }
            for step in doc.steps
        ],
        "exits": {str(k): v for k, v in exits.items()},
        "sends_by_status": status_counts(session, "journey", key),
        "conversion_days": doc.conversion_days,
        "uplift": result.to_dict(),
        "document": doc.model_dump(mode="json"),
    }


def uplift_report(session: Session, key: str, *, days: int | None = None) -> dict[str, Any]:
    """``kizuna uplift JOURNEY``: treatment vs holdout conversion and revenue per customer."""
    journey = load(session, key)
    window = days or journey.journey.conversion_days
    result = uplift.measure(session, journey.experiment, days=window)
    return {"journey": key, "experiment": journey.experiment, "days": window, **result.to_dict()}
