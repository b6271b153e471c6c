"""Customer verbs: bulk upsert, stubs for orders, identity matching, consent and problem flags.

Services never commit; the caller's unit of work does. Every verb that changes who a customer is
writes a ``CustomerAudit`` row in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.customers.errors import IdentityTaken
from kizuna.customers.models import ConsentChange, Customer, CustomerAudit, Identity
from kizuna.customers.schemas import CustomerIn
from kizuna.kit.bulk import Bulk, chunks
from kizuna.kit.clock import now
from kizuna.kit.counts import WriteCounts
from kizuna.kit.errors import NotFound

_CUSTOMER_COLUMNS = (
    "external_id", "is_member", "family_name", "given_name", "family_kana", "given_kana",
    "birth_date", "gender", "prefecture", "postal_code", "country", "occupation",
    "registered_at", "registration_channel", "marketing_status", "attributes", "content_hash",
    "created_at", "updated_at",
)  # fmt: skip


def _row(bulk: Bulk, item: CustomerIn, stamp: datetime) -> tuple:
    return (
        item.external_id, item.is_member, item.family_name, item.given_name, item.family_kana,
        item.given_kana, bulk.day(item.birth_date), item.gender, item.prefecture, item.postal_code,
        item.country, item.occupation, bulk.time(item.registered_at), item.registration_channel,
        item.marketing_status, bulk.json(item.attributes), item.fingerprint(),
        bulk.time(stamp), bulk.time(stamp),
    )  # fmt: skip


def identity_owners(
    session: Session, pairs: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    """``{(kind, value): customer_id}`` for the identities already stored (merges followed)."""
    by_kind: dict[str, set[str]] = {}
    for kind, value in pairs:
        by_kind.setdefault(kind, set()).add(value)
    owners: dict[tuple[str, str], int] = {}
    for kind, values in by_kind.items():
        for part in chunks(sorted(values), 5000):
            query = select(Identity.value, Identity.customer_id).where(
                Identity.kind == kind, Identity.value.in_(part)
            )
            owners.update({(kind, value): cid for value, cid in session.execute(query)})
    return _follow_merges(session, owners)


def _follow_merges(session: Session, owners: dict[Any, int]) -> dict:
    survivor = survivors(session, set(owners.values()))
    return {key: survivor[cid] for key, cid in owners.items()}


def survivors(session: Session, ids: Iterable[int]) -> dict[int, int]:
    """``{id: surviving id}``: each id, or the customer it was merged into (chains followed)."""
    wanted = set(ids)
    parent: dict[int, int] = {}
    pending = set(wanted)
    while pending:
        found: dict[int, int] = {}
        for part in chunks(sorted(pending), 5000):
            query = select(Customer.id, Customer.merged_into_id).where(
                Customer.id.in_(part), Customer.merged_into_id.is_not(None)
            )
            found.update({cid: into for cid, into in session.execute(query) if into is not None})
        parent.update(found)
        pending = set(found.values()) - parent.keys() - pending
    out: dict[int, int] = {}
    for cid in wanted:
        target, hops = cid, 0
        while target in parent and hops < 100:  # merges refuse cycles; the bound is a safety net
            target, hops = parent[target], hops + 1
        out[cid] = target
    return out


def check_identities(session: Session, items: Sequence[CustomerIn]) -> dict[str, IdentityTaken]:
    """Items whose identity already belongs to another customer, or is also given for another
    customer earlier in ``items``: ``{external_id: error}``. A merged customer is its survivor."""
    pairs = [pair for item in items for pair in item.identities]
    owners = identity_owners(session, pairs)
    keys = [item.external_id for item in items] if owners else []
    ids = Bulk(session).fetch_map("customers", "external_id", keys)
    alive = survivors(session, ids.values()) if ids else {}
    guests = _guests(session, set(owners.values()))
    claimed: dict[tuple[str, str], str] = {}
    problems: dict[str, IdentityTaken] = {}
    for item in items:
        mine = alive.get(ids.get(item.external_id, -1))
        for kind, value in item.identities:
            owner = owners.get((kind, value))
            first = claimed.setdefault((kind, value), item.external_id)
            if owner is not None and owner != mine and not (item.is_member and owner in guests):
                problems[item.external_id] = IdentityTaken(
                    f"{kind} {value!r} already belongs to customer #{owner}", field=kind
                )
            elif owner is None and first != item.external_id:
                problems[item.external_id] = IdentityTaken(
                    f"{kind} {value!r} is also given for customer {first!r} earlier in the file",
                    field=kind,
                )
    return problems


def _guests(session: Session, ids: set[int]) -> set[int]:
    """Which of ``ids`` are guest customers (checked out without an account)."""
    found: set[int] = set()
    for part in chunks(sorted(ids), 5000):
        query = select(Customer.id).where(Customer.id.in_(part), Customer.is_member.is_(False))
        found.update(session.scalars(query))
    return found


def _claim_guests(session: Session, members: list[tuple[int, CustomerIn]]) -> None:
    """A member whose email or phone belongs to a guest takes the guest's orders: the guest is
    merged into the member (audited, reversible with un-merge), whichever arrived first."""
    from kizuna.customers.identity import do_merge  # identity builds on this module

    owners = identity_owners(session, [pair for _, item in members for pair in item.identities])
    guests = _guests(session, set(owners.values()))
    for member_id, item in members:
        for pair in item.identities:
            guest = owners.get(pair)
            if guest in guests and guest != member_id:
                do_merge(session, member_id, guest, actor="identity match")
                guests.discard(guest)


def upsert_customers(
    session: Session, items: Sequence[CustomerIn], source: str = "import"
) -> WriteCounts:
    """Insert new customers, update changed ones, leave identical ones; identities and consent too.

    Callers check identity conflicts first (``check_identities``); later duplicates of the same
    external id in ``items`` win.
    """
    bulk, stamp, counts = Bulk(session), now(), WriteCounts()
    latest = {item.external_id: item for item in items}
    counts.unchanged += len(items) - len(latest)
    existing = bulk.fetch_map("customers", "external_id", list(latest), "id, content_hash")
    new = [item for key, item in latest.items() if key not in existing]
    changed = [i for k, i in latest.items() if k in existing and existing[k][1] != i.fingerprint()]
    counts.inserted, counts.updated = len(new), len(changed)
    counts.unchanged += len(latest) - len(new) - len(changed)
    bulk.insert("customers", _CUSTOMER_COLUMNS, (_row(bulk, item, stamp) for item in new))
    assignments = ", ".join(f"{col} = ?" for col in _CUSTOMER_COLUMNS[1:-2]) + ", updated_at = ?"
    bulk.executemany(
        f"UPDATE customers SET {assignments} WHERE external_id = ?",
        ((*_row(bulk, i, stamp)[1:-2], bulk.time(stamp), i.external_id) for i in changed),
    )
    touched = new + changed
    if touched:
        ids = bulk.fetch_map("customers", "external_id", [i.external_id for i in touched])
        _add_identities(
            bulk, [(ids[i.external_id], k, v) for i in touched for k, v in i.identities]
        )
        _claim_guests(session, [(ids[i.external_id], i) for i in touched if i.is_member])
        _record_consents(session, [(ids[i.external_id], i) for i in touched if i.consents], source)
    return counts


def _add_identities(bulk: Bulk, rows: list[tuple[int, str, str]]) -> None:
    if not rows:
        return
    stamp = bulk.time(now())
    conflict = "ON CONFLICT (kind, value) DO NOTHING"
    bulk.executemany(
        "INSERT INTO identities (customer_id, kind, value, created_at) "
        f"VALUES (?, ?, ?, ?) {conflict}",
        [(cid, kind, value, stamp) for cid, kind, value in rows],
    )


def current_consents(session: Session, customer_id: int) -> dict[str, ConsentChange]:
    """The latest consent per channel for one customer."""
    rows = session.scalars(
        select(ConsentChange)
        .where(ConsentChange.customer_id == customer_id)
        .order_by(ConsentChange.changed_at, ConsentChange.id)
    )
    return {row.channel: row for row in rows}


def _record_consents(session: Session, items: list[tuple[int, CustomerIn]], source: str) -> None:
    """Append a consent change per (customer, channel) whose latest state differs, in bulk."""
    if not items:
        return
    bulk = Bulk(session)
    latest = _latest_consents(bulk, sorted({customer_id for customer_id, _ in items}))
    stamp = bulk.time(now())
    rows = []
    for customer_id, item in items:
        for channel, granted in item.consents:
            if latest.get((customer_id, channel)) != granted:
                latest[(customer_id, channel)] = granted
                rows.append((customer_id, channel, granted, source, stamp))
    bulk.insert(
        "consent_changes", ("customer_id", "channel", "granted", "source", "changed_at"), rows
    )


def _latest_consents(bulk: Bulk, customer_ids: list[int]) -> dict[tuple[int, str], bool]:
    """``{(customer_id, channel): granted}``: the latest consent state of these customers."""
    latest: dict[tuple[int, str], bool] = {}
    for part in chunks(customer_ids, 5000):
        text = (
            "SELECT customer_id, channel, granted FROM consent_changes WHERE customer_id IN "
            f"({bulk.marks(len(part))}) ORDER BY changed_at, id"
        )
        for customer_id, channel, granted in bulk.conn.exec_driver_sql(bulk.sql(text), tuple(part)):
            latest[(customer_id, channel)] = bool(granted)
    return latest


def do_set_consent(
    session: Session, customer_id: int, channel: str, granted: bool, *, source: str
) -> bool:
    """Record a consent change for one channel; returns False when it was already in that state."""
    current = current_consents(session, customer_id).get(channel)
    if current is not None and current.granted == granted:
        return False
    session.add(
        ConsentChange(customer_id=customer_id, channel=channel, granted=granted, source=source)
    )
    session.flush()
    return True


def ensure_customers(session: Session, countries: dict[str, str | None]) -> dict[str, int]:
    """Ids for the given external ids (the survivor for a merged customer), creating member stubs
    (from an order file) for unknown ones."""
    bulk = Bulk(session)
    known = bulk.fetch_map("customers", "external_id", list(countries))
    missing = [
        CustomerIn(external_id=key, country=country, registration_channel="import")
        for key, country in countries.items()
        if key not in known
    ]
    if known:  # a customer merged away is represented by its survivor
        alive = survivors(session, known.values())
        known = {key: alive[cid] for key, cid in known.items()}
    if missing:
        # stubs carry no identities or consent; ON CONFLICT lets two writers create the same stub
        stamp = now()
        columns = ", ".join(_CUSTOMER_COLUMNS)
        bulk.executemany(
            f"INSERT INTO customers ({columns}) VALUES ({bulk.marks(len(_CUSTOMER_COLUMNS))}) "
            "ON CONFLICT (external_id) DO NOTHING",
            [_row(bulk, item, stamp) for item in missing],
        )
        known.update(bulk.fetch_map("customers", "external_id", [c.external_id for c in missing]))
    return known


def get_customer(session: Session, customer_id: int) -> Customer:
    """The customer, or NotFound."""
    customer = session.get(Customer, customer_id)
    if customer is None:
        raise NotFound(f"customer #{customer_id} does not exist", field="customer_id")
    return customer


def do_flag_problem(
    session: Session, customer_id: int, *, reason: str | None, actor: str, flagged: bool = True
) -> Customer:
    """Set or clear the problem-customer flag (with reason and who did it), audited."""
    customer = get_customer(session, customer_id)
    customer.is_problem = flagged
    customer.problem_reason = reason if flagged else None
    customer.problem_set_by = actor
    customer.problem_set_at = now()
    session.add(
        CustomerAudit(
            customer_id=customer_id,
            action="problem_flagged" if flagged else "problem_cleared",
            actor=actor,
            detail={"reason": reason},
        )
    )
    session.flush()
    return customer
