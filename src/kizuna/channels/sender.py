"""The send loop: claim a batch of outbox rows, resolve addresses, render, send, record.

Each message is committed twice around the point of no return (``sending`` just before the
provider can accept it, ``sent`` right after), so a worker killed at any moment leaves a row that
``outbox.recover`` can classify. Suppression is checked once more here, at the last moment, so an
unsubscribe that arrives between recording and sending still stops the message.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from jinja2 import TemplateError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from kizuna.channels import outbox, recovery, suppression
from kizuna.channels.base import Channel, Envelope, Renderer, build
from kizuna.channels.config import ChannelSettings, get_channel_settings
from kizuna.channels.models import OutboxMessage, PushSubscription
from kizuna.channels.print_dm import address_json, address_of
from kizuna.channels.rendering import load_renderer
from kizuna.customers.models import Customer, Identity
from kizuna.kit.clock import now
from kizuna.kit.jp import full_name

IDENTITY_FOR = {"email": "email", "sms": "phone", "line": "line_user_id"}
_WORKER = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def worker_id() -> str:
    """This process's worker identity (host, pid and a random suffix)."""
    return _WORKER


@dataclass
class BatchReport:
    """What a batch did: counts per outcome and the retry times of transient failures."""

    counts: Counter[str] = field(default_factory=Counter)
    retry_at: dict[int, datetime] = field(default_factory=dict)


def send_batch(
    sessions: sessionmaker[Session],
    ids: Sequence[int] | None,
    *,
    settings: ChannelSettings | None = None,
    renderer: Renderer | None = None,
    worker: str | None = None,
    limit: int = 500,
) -> BatchReport:
    """Claim ``ids`` (or the oldest due rows) and send them; returns what happened."""
    settings = settings or get_channel_settings()
    worker = worker or worker_id()
    report = BatchReport()
    with sessions() as session:
        claimed = outbox.claim(
            session, ids, worker=worker, lease_seconds=settings.outbox_lease_seconds, limit=limit
        )
        session.commit()
        if not claimed:
            return report
        rows = list(
            session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.id.in_(claimed))
                .order_by(OutboxMessage.id)
            )
        )
        envelopes = load_envelopes(session, rows)
        renderer = renderer or load_renderer(session, settings)
        _send_all(session, rows, envelopes, renderer, settings, worker, report)
    return report


def _send_all(
    session: Session,
    rows: list[OutboxMessage],
    envelopes: dict[int, Envelope],
    renderer: Renderer,
    settings: ChannelSettings,
    worker: str,
    report: BatchReport,
) -> None:
    targets = [
        suppression.Target(
            r.customer_id,
            r.channel,
            r.kind,
            r.category,
            envelopes[r.id].address if r.id in envelopes else None,
        )
        for r in rows
    ]
    blocked = suppression.reasons_for(session, targets)
    channels: dict[str, Channel] = {}
    try:
        for row, reason in zip(rows, blocked, strict=True):
            envelope = envelopes.get(row.id)
            if envelope is None:
                _drop(session, row, f"no_address:{row.channel}", report)
            elif reason:
                _drop(session, row, reason, report)
            else:
                channel = channels.get(row.channel) or channels.setdefault(
                    row.channel, build(row.channel, settings)
                )
                _send_one(session, row, envelope, channel, renderer, settings, worker, report)
    finally:
        for channel in channels.values():
            channel.close()


def _drop(session: Session, row: OutboxMessage, reason: str, report: BatchReport) -> None:
    outbox.set_status(session, row.id, row.customer_id, "dropped", reason)
    report.counts["dropped"] += 1


def _send_one(
    session: Session,
    row: OutboxMessage,
    envelope: Envelope,
    channel: Channel,
    renderer: Renderer,
    settings: ChannelSettings,
    worker: str,
    report: BatchReport,
) -> None:
    try:
        rendered = channel.render(envelope, renderer)
    except (TemplateError, KeyError, ValueError, TypeError) as exc:
        outbox.set_status(
            session,
            row.id,
            row.customer_id,
            "failed",
            "template_error",
            error=f"{type(exc).__name__}: {exc}",
        )
        report.counts["failed"] += 1
        return
    try:
        result = channel.send(rendered, lambda: outbox.mark_sending(session, row.id, worker))
    except outbox.LeaseLost:
        session.rollback()
        report.counts["lease_lost"] += 1
        return
    if result.ok:
        outbox.mark_sent(session, row.id, worker, result.provider_id)
        report.counts["sent"] += 1
        return
    if result.bounce:
        _bounce(session, row, envelope)
    if result.unknown and not channel.resend_unknown:
        outbox.set_status(
            session, row.id, row.customer_id, "held", "outcome_unknown", error=result.error
        )
        report.counts["held"] += 1
        return
    retry = recovery.mark_failed_attempt(
        session,
        row,
        result.error or "error",
        permanent=result.permanent,
        base_seconds=settings.outbox_backoff_seconds,
    )
    if retry is None:
        report.counts["failed"] += 1
    else:
        report.counts["retry"] += 1
        report.retry_at[row.id] = retry


def _bounce(session: Session, row: OutboxMessage, envelope: Envelope) -> None:
    """A gone push subscription is revoked; any other hard bounce suppresses the address."""
    if row.channel == "push":
        endpoint = json.loads(envelope.address)["endpoint"]
        sub = session.scalars(select(PushSubscription).where(PushSubscription.endpoint == endpoint))
        for found in sub:
            found.revoked_at = now()
        session.flush()
        return
    suppression.record_bounce(
        session,
        row.channel,
        envelope.address,
        customer_id=row.customer_id,
        source=f"outbox:{row.id}",
    )


def load_envelopes(session: Session, rows: Sequence[OutboxMessage]) -> dict[int, Envelope]:
    """Envelopes for the rows that have an address on their channel (others are missing)."""
    customer_ids = sorted({r.customer_id for r in rows})
    customers = {
        c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(customer_ids)))
    }
    addresses = _addresses(session, {r.channel for r in rows}, customer_ids, customers)
    out = {}
    for r in rows:
        address = addresses.get((r.channel, r.customer_id))
        customer = customers.get(r.customer_id)
        if address is None or customer is None:
            continue
        person = {
            "id": customer.id,
            "name": full_name(customer.family_name, customer.given_name, r.language),
            "family_name": customer.family_name or "",
            "given_name": customer.given_name or "",
        }
        out[r.id] = Envelope(
            r.id,
            r.dedupe_key,
            r.customer_id,
            r.channel,
            r.kind,
            r.category,
            r.template,
            r.language,
            address,
            {**r.context, "customer": person},
        )
    return out


def _addresses(
    session: Session, channels: set[str], customer_ids: list[int], customers: dict[int, Customer]
) -> dict[tuple[str, int], str]:
    found: dict[tuple[str, int], str] = {}
    kinds = {IDENTITY_FOR[c]: c for c in channels if c in IDENTITY_FOR}
    if kinds:
        stmt = (
            select(Identity.customer_id, Identity.kind, Identity.value)
            .where(Identity.customer_id.in_(customer_ids), Identity.kind.in_(list(kinds)))
            .order_by(Identity.id)
        )
        for customer_id, kind, value in session.execute(stmt):
            found[(kinds[kind], customer_id)] = value  # the newest identity wins
    if "push" in channels:
        subs = select(PushSubscription).where(
            PushSubscription.customer_id.in_(customer_ids), PushSubscription.revoked_at.is_(None)
        )
        for sub in session.scalars(subs.order_by(PushSubscription.id)):
            found[("push", sub.customer_id)] = subscription_json(sub)
    if "postal" in channels:
        for customer_id, customer in customers.items():
            address = address_of(customer)
            if address is not None:
                found[("postal", customer_id)] = address_json(address)
    return found


def subscription_json(sub: PushSubscription) -> str:
    """A push subscription in the browser's JSON shape."""
    return json.dumps({"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}})
