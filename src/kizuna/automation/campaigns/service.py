"""Campaign verbs: create, schedule, send (now or when due), preview, send a file. Never commit:
the caller commits, then enqueues ``pending`` (``channels.tasks.enqueue_ids``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.analytics.models import RankSpell, SavedSegment
from kizuna.automation import guards
from kizuna.automation.campaigns.document import CampaignDoc, content_for, load_document
from kizuna.automation.journeys import content
from kizuna.automation.journeys.models import Campaign
from kizuna.automation.journeys.scanners import today
from kizuna.automation.sending import preferred_channel, submit
from kizuna.channels import outbox
from kizuna.customers.models import Customer
from kizuna.kit.bulk import Bulk, chunks
from kizuna.kit.clock import now
from kizuna.kit.errors import Conflict, NotFound


@dataclass(frozen=True, slots=True)
class _Recipient:
    """A campaign recipient shaped like an enrolment, for the content providers."""

    id: int
    customer_id: int
    context: dict[str, Any]
    occurrence: str = "campaign"


def do_create(session: Session, doc: CampaignDoc | dict[str, Any], *, actor: str) -> Campaign:
    """Store a campaign as a draft (or replace a draft of the same key)."""
    doc = doc if isinstance(doc, CampaignDoc) else CampaignDoc.model_validate(doc)
    row = session.scalars(select(Campaign).where(Campaign.key == doc.key)).first()
    if row is not None and row.status not in ("draft", "scheduled"):
        raise Conflict(f"campaign {doc.key!r} is already {row.status}", field="key")
    if row is None:
        row = Campaign(key=doc.key, created_by=actor, result={})
        session.add(row)
    row.name, row.document, row.status = (
        doc.name,
        doc.model_dump(mode="json", by_alias=True),
        "draft",
    )
    row.scheduled_at = None
    session.flush()
    if doc.scheduled_at is not None:
        do_schedule(session, doc.key, doc.scheduled_at)
    return row


def campaign_row(session: Session, key: str) -> Campaign:
    row = session.scalars(select(Campaign).where(Campaign.key == key)).first()
    if row is None:
        raise NotFound(f"there is no campaign {key!r}", field="key")
    return row


def do_schedule(session: Session, key: str, at: datetime) -> Campaign:
    """Send the campaign at ``at`` (the ``automation.send_due_campaigns`` job does)."""
    row = campaign_row(session, key)
    if row.status not in ("draft", "scheduled"):
        raise Conflict(f"campaign {key!r} is already {row.status}", field="key")
    row.status, row.scheduled_at = "scheduled", at
    session.flush()
    return row


def due(session: Session, at: datetime | None = None) -> list[str]:
    """Keys of scheduled campaigns whose time has come."""
    stmt = select(Campaign.key).where(
        Campaign.status == "scheduled", Campaign.scheduled_at <= (at or now())
    )
    return list(session.scalars(stmt))


def audience(session: Session, doc: CampaignDoc, at: datetime | None = None) -> dict[int, str]:
    """``{customer_id: rank}`` of the campaign's audience ("" when the rank is unknown)."""
    if doc.customer_ids:
        ranks = dict(
            session.execute(
                select(RankSpell.customer_id, RankSpell.rank).where(
                    RankSpell.customer_id.in_(doc.customer_ids), RankSpell.valid_to.is_(None)
                )
            ).all()
        )
        return {cid: str(ranks.get(cid, "")) for cid in doc.customer_ids}
    from kizuna.analytics.backends import connect
    from kizuna.analytics.segments.compile import SegmentBase, segment_members
    from kizuna.analytics.segments.definition import SegmentDefinition

    document = doc.definition
    if document is None:
        found = session.scalar(
            select(SavedSegment.definition).where(SavedSegment.name == doc.segment)
        )
        if found is None:
            raise NotFound(f"no saved segment named {doc.segment!r}", field="segment")
        document = found
    con = connect(session.get_bind().engine.url.render_as_string(hide_password=False))
    try:
        base = SegmentBase.build(con, today(at or now()))
        members = segment_members(base, SegmentDefinition.model_validate(document))
        table = members.select("customer_id", "rank").to_pyarrow()
    finally:
        con.disconnect()
    return {
        int(c): str(r or "")
        for c, r in zip(
            *(table.column(n).to_pylist() for n in ("customer_id", "rank")), strict=True
        )
    }


def send(
    session: Session,
    key: str,
    *,
    at: datetime | None = None,
    policy: guards.GuardPolicy | None = None,
) -> dict[str, Any]:
    """Send the campaign now; returns counts and ``pending`` (outbox ids to enqueue after
    commit). A campaign already sent returns its stored result and sends nothing."""
    row, at = campaign_row(session, key), at or now()
    if row.status == "sent":
        return {**row.result, "pending": []}
    if row.status == "cancelled":
        raise Conflict(f"campaign {key!r} was cancelled", field="key")
    doc = CampaignDoc.model_validate(row.document)
    people = audience(session, doc, at)
    counts = {
        "audience": len(people),
        "pending": 0,
        "held": 0,
        "dropped": 0,
        "holdout": 0,
        "duplicates": 0,
        "skipped": 0,
    }
    pending: list[int] = []
    variants: dict[int, str] = {}
    for part in chunks(sorted(people), 5000):
        messages = _messages(session, doc, {c: people[c] for c in part}, variants, counts)
        result = submit(
            session,
            messages,
            policy=policy,
            experiment=f"campaign:{key}",
            holdout_share=doc.holdout_share,
            at=at,
        )
        pending += result.pending
        for name in ("held", "dropped", "holdout", "duplicates"):
            counts[name] += getattr(result, name)
    counts["pending"] = len(pending)
    _log_variants(session, key, variants)
    row.status, row.sent_at, row.result = "sent", at, counts
    session.flush()
    return {**counts, "pending": pending}


def _messages(
    session: Session,
    doc: CampaignDoc,
    ranks: dict[int, str],
    variants: dict[int, str],
    counts: dict[str, int],
) -> list[outbox.MessageIn]:
    people = {
        c.id: c for c in session.scalars(select(Customer).where(Customer.id.in_(list(ranks))))
    }
    out = []
    for cid, rank in ranks.items():
        customer = people.get(cid)
        if customer is None:
            continue
        name, chosen = content_for(doc, cid, rank)
        language = (customer.attributes or {}).get("language") or doc.language
        context = {**chosen.context, **chosen.i18n.get(language, {})}
        if chosen.providers:
            built = content.build(
                session, chosen.providers, [_Recipient(cid, cid, context)], {}, {cid: language}
            )
            extra = built[cid]
            if isinstance(extra, str):
                counts["skipped"] += 1
                continue
            context.update(extra)
        channel = chosen.channel or "auto"
        if channel == "auto":
            channel = preferred_channel(customer)
        variants[cid] = name
        out.append(
            outbox.MessageIn(
                outbox.dedupe_key(cid, campaign=doc.key),
                cid,
                channel,
                chosen.template or "newsletter",
                kind=doc.kind,
                category=doc.category,
                language=language,
                context=context,
                source_type="campaign",
                source_key=doc.key,
                step_key=name or rank,
            )
        )
    return out


def _log_variants(session: Session, key: str, variants: dict[int, str]) -> None:
    rows = [(name, f"campaign:{key}", cid) for cid, name in variants.items() if name]
    Bulk(session).executemany(
        "UPDATE experiment_assignments SET variant = ? "
        "WHERE experiment = ? AND customer_id = ? AND arm = 'treatment'",
        rows,
    )


def preview(
    session: Session, doc: CampaignDoc | dict[str, Any], *, customer_id: int | None = None
) -> dict[str, Any]:
    """The builder's preview: each content block (base, per rank, per variant) rendered in
    Japanese and English for a sample customer, and the template's missing context keys."""
    from kizuna.channels.base import Envelope
    from kizuna.channels.rendering import load_renderer, missing_context

    doc = doc if isinstance(doc, CampaignDoc) else CampaignDoc.model_validate(doc)
    renderer = load_renderer(session)
    person = session.get(Customer, customer_id) if customer_id else None
    name = (
        f"{person.family_name or ''} {person.given_name or ''}".strip() if person else "山田 花子"
    )
    blocks = [("base", "", "")] + [
        (f"rank:{'/'.join(b.ranks)}", "", b.ranks[0]) for b in doc.by_rank
    ]
    blocks += [(f"variant:{v.name}", v.name, "") for v in doc.variants]
    out: dict[str, Any] = {}
    for label, variant, rank in blocks:
        forced = doc.model_copy(update={"variants": [v for v in doc.variants if v.name == variant]})
        _, chosen = content_for(forced, customer_id or 0, rank)
        for language in ("ja", "en"):
            context = {
                **chosen.context,
                **chosen.i18n.get(language, {}),
                "customer": {"name": name},
            }
            template = chosen.template or "newsletter"
            missing = missing_context(template, context)
            envelope = Envelope(
                0,
                "preview",
                customer_id or 0,
                "email",
                doc.kind,
                doc.category,
                template,
                language,
                "",
                context,
            )
            parts = {} if missing else renderer.parts(envelope)
            out.setdefault(label, {})[language] = {
                **{k: parts.get(k, "") for k in ("subject", "text", "html", "short")},
                "missing": missing,
            }
    return {"key": doc.key, "blocks": out}


def send_file(
    session: Session, path: str | Path, *, actor: str, at: datetime | None = None
) -> dict[str, Any]:
    """``kizuna campaign send FILE``: store the document, then send it now, or schedule it when
    its ``scheduled_at`` is in the future."""
    at = at or now()
    doc = load_document(path)
    do_create(session, doc, actor=actor)
    if doc.scheduled_at is not None and doc.scheduled_at > at:
        return {
            "key": doc.key,
            "status": "scheduled",
            "scheduled_at": doc.scheduled_at.isoformat(),
            "pending": [],
        }
    return {"key": doc.key, "status": "sent", **send(session, doc.key, at=at)}
