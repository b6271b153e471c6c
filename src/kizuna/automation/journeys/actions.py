"""Action handlers: what a journey's ``action`` step does, for a batch of enrolments at once.

A handler takes the run (session, journey, clock, guard policy) and the enrolments that reached
the step, and returns an ``Outcome`` per enrolment: the word recorded in ``journey_progress``
(``queued``, ``held:quiet_hours``, ``dropped:no_consent:email``, ``granted``, ``issued``,
``skipped:cart``…), a detail, and context for later steps (a coupon code for the message that
follows). Every effect carries its own idempotency key as a second line of defence behind the
runner's per-step progress row:

* ``send_message``: ``automation.sending.submit`` (holdout, guards, outbox) with the dedupe key
  ``j:<journey>:<step>.<occurrence>:<customer>``; the caller enqueues the pending ids after commit.
* ``grant_points``: loyalty's ``do_earn`` keyed
  ``journey:<journey>:<step>:<occurrence>:<customer>``.
* ``issue_coupon``: one personal code of a loyalty coupon template (``skipped:no_coupon_template``
  when the shop has not made it).
* ``set_attribute``: writes ``customers.attributes[name]``, audited in ``customer_audit``.
* ``notify_staff``: a ``staff_notifications`` row for the support desk, unique per step.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.automation import guards
from kizuna.automation.journeys import content
from kizuna.automation.journeys.definition import Action
from kizuna.automation.journeys.models import Enrolment, StaffNotification
from kizuna.automation.journeys.store import Loaded
from kizuna.automation.sending import preferred_channel, submit
from kizuna.channels import outbox
from kizuna.channels.models import OutboxMessage
from kizuna.channels.rendering import missing_context
from kizuna.customers.models import Customer, CustomerAudit
from kizuna.kit.errors import KizunaError
from kizuna.loyalty.coupons import do_issue_coupons
from kizuna.loyalty.ledger.post import do_earn
from kizuna.loyalty.models import CouponTemplate


@dataclass(frozen=True, slots=True)
class Outcome:
    """What a step did for one enrolment."""

    outcome: str
    detail: dict[str, Any] = field(default_factory=dict)
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(slots=True)
class Run:
    """One runner pass: where, when, under which guard policy; collects outbox ids to enqueue."""

    session: Session
    journey: Loaded
    at: datetime
    policy: guards.GuardPolicy
    pending: list[int] = field(default_factory=list)


Handler = Callable[[Run, Action, Sequence[Enrolment]], dict[int, Outcome]]
HANDLERS: dict[str, Handler] = {}


def action(name: str) -> Callable[[Handler], Handler]:
    """Register the handler of action type ``name``."""

    def register(fn: Handler) -> Handler:
        HANDLERS[name] = fn
        return fn

    return register


def step_key(run: Run, step: Action, row: Enrolment) -> str:
    """The idempotency key of one step of one enrolment."""
    return f"journey:{run.journey.key}:{step.id}:{row.occurrence}:{row.customer_id}"


def customers_of(session: Session, rows: Sequence[Enrolment]) -> dict[int, Customer]:
    """The enrolments' customers by id."""
    ids = sorted({r.customer_id for r in rows})
    return {c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(ids)))}


def language_of(customer: Customer | None, default: str = "ja") -> str:
    """The customer's message language (``attributes.language``), else the default."""
    chosen = (customer.attributes or {}).get("language") if customer else None
    return chosen if chosen in ("ja", "en") else default


@action("send_message")
def send_message(run: Run, step: Action, rows: Sequence[Enrolment]) -> dict[int, Outcome]:
    """Record one message per enrolment through holdout, guards and the outbox."""
    p = step.params
    people = customers_of(run.session, rows)
    lang = {r.id: language_of(people.get(r.customer_id), p.get("language", "ja")) for r in rows}
    built = content.build(run.session, p.get("with", []), rows, p, lang)
    outcomes: dict[int, Outcome] = {}
    messages: dict[int, outbox.MessageIn] = {}
    for r in rows:
        extra = built[r.id]
        if isinstance(extra, str):
            outcomes[r.id] = Outcome(f"skipped:{extra}")
            continue
        localised = (p.get("i18n") or {}).get(lang[r.id], {})
        context = {**r.context, **p.get("context", {}), **localised, **extra}
        missing = missing_context(p["template"], context)
        if missing:
            outcomes[r.id] = Outcome(f"skipped:missing:{','.join(missing)}")
            continue
        channel = p.get("channel", "auto")
        if channel == "auto":
            channel = preferred_channel(people[r.customer_id], p.get("default_channel"))
        messages[r.id] = outbox.MessageIn(
            outbox.dedupe_key(
                r.customer_id, journey=run.journey.key, step=f"{step.id}.{r.occurrence}"
            ),
            r.customer_id,
            channel,
            p["template"],
            kind=p.get("kind", "marketing"),
            category=p.get("category", p["template"]),
            language=lang[r.id],
            context=context,
            source_type="journey",
            source_key=run.journey.key,
            step_key=step.id,
        )
    if messages:
        result = submit(
            run.session,
            list(messages.values()),
            policy=run.policy,
            experiment=run.journey.experiment,
            holdout_share=run.journey.journey.holdout_share,
            at=run.at,
        )
        run.pending.extend(result.pending)
        states = _states(run.session, [m.dedupe_key for m in messages.values()])
        for rid, message in messages.items():
            status, reason, oid = states.get(message.dedupe_key, ("holdout", None, None))
            word = {"pending": "queued"}.get(status, status)
            outcomes[rid] = Outcome(
                f"{word}:{reason}" if reason else word,
                {"outbox_id": oid, "channel": message.channel},
            )
    return outcomes


def _states(session: Session, keys: list[str]) -> dict[str, tuple[str, str | None, int]]:
    stmt = select(
        OutboxMessage.dedupe_key, OutboxMessage.status, OutboxMessage.reason, OutboxMessage.id
    )
    return {
        k: (s, r, i)
        for k, s, r, i in session.execute(stmt.where(OutboxMessage.dedupe_key.in_(keys)))
    }


@action("grant_points")
def grant_points(run: Run, step: Action, rows: Sequence[Enrolment]) -> dict[int, Outcome]:
    """Earn ``points`` in the loyalty ledger (idempotent by key)."""
    points = int(step.params["points"])
    days = step.params.get("expires_days")
    expires = run.at + timedelta(days=int(days)) if days else None
    outcomes = {}
    for r in rows:
        try:
            result = do_earn(
                run.session,
                r.customer_id,
                points,
                key=step_key(run, step, r),
                reason=str(step.params.get("reason", "campaign"))[:32],
                link_type="journey",
                link_ref=run.journey.key,
                at=run.at,
                expires_at=expires,
            )
        except KizunaError as error:
            outcomes[r.id] = Outcome(f"failed:{error.code}", {"error": str(error)})
            continue
        detail = {"points": points, "entry_id": result.entry_id, "replayed": result.replayed}
        outcomes[r.id] = Outcome("granted", detail, {"points_granted": points})
    return outcomes


@action("issue_coupon")
def issue_coupon(run: Run, step: Action, rows: Sequence[Enrolment]) -> dict[int, Outcome]:
    """Issue each customer a personal code of the coupon template ``coupon``."""
    code = step.params["coupon"]
    template = run.session.scalars(
        select(CouponTemplate).where(CouponTemplate.code == code, CouponTemplate.active.is_(True))
    ).first()
    if template is None:
        return {r.id: Outcome("skipped:no_coupon_template", {"coupon": code}) for r in rows}
    until = run.at + timedelta(days=int(step.params.get("expires_days", 30)))
    codes = do_issue_coupons(
        run.session,
        template.id,
        customer_ids=[r.customer_id for r in rows],
        max_uses=int(step.params.get("max_uses", 1)),
        expires_at=until,
    )
    valid = until.date().isoformat()
    return {
        r.id: Outcome("issued", {"code": c}, {"coupon_code": c, "valid_until": valid})
        for r, c in zip(rows, codes, strict=True)
    }


@action("set_attribute")
def set_attribute(run: Run, step: Action, rows: Sequence[Enrolment]) -> dict[int, Outcome]:
    """Set ``customers.attributes[name] = value`` (audited)."""
    name, value = step.params["name"], step.params.get("value")
    people = customers_of(run.session, rows)
    actor = f"journey:{run.journey.key}"
    for r in rows:
        customer = people[r.customer_id]
        before = (customer.attributes or {}).get(name)
        customer.attributes = {**(customer.attributes or {}), name: value}
        run.session.add(
            CustomerAudit(
                customer_id=r.customer_id,
                action="attribute_set",
                actor=actor,
                detail={"name": name, "before": before, "after": value},
                at=run.at,
            )
        )
    run.session.flush()
    return {r.id: Outcome("set", {"name": name, "value": value}) for r in rows}


class _Blank(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@action("notify_staff")
def notify_staff(run: Run, step: Action, rows: Sequence[Enrolment]) -> dict[int, Outcome]:
    """Leave a note for the support desk about the customer."""
    text = str(step.params.get("message", ""))
    for r in rows:
        key = step_key(run, step, r)
        exists = run.session.scalar(
            select(StaffNotification.id).where(StaffNotification.dedupe_key == key)
        )
        if exists is None:
            run.session.add(
                StaffNotification(
                    customer_id=r.customer_id,
                    source=f"journey:{run.journey.key}",
                    message=text.format_map(_Blank(r.context or {})),
                    dedupe_key=key,
                    created_at=run.at,
                )
            )
    run.session.flush()
    return {r.id: Outcome("notified") for r in rows}
