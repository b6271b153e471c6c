"""Recognising one person across channels: identity normalisation, guest matching, merge, un-merge.

A merge moves every row that points at the merged customer (orders, events, identities, and any
table added later with a foreign key to ``customers.id``) to the survivor, and writes the moved row
ids into the audit row, so that ``do_unmerge`` can move exactly those rows back.
"""

from __future__ import annotations

from sqlalchemy import MetaData, Table, delete, select, update
from sqlalchemy.orm import Session

from kizuna.customers.errors import MergeRefused
from kizuna.customers.models import Customer, CustomerAudit
from kizuna.customers.service import get_customer
from kizuna.kit import jp
from kizuna.kit.clock import now
from kizuna.kit.errors import NotFound

_NORMALISERS = {
    "email": jp.normalise_email,
    "phone": jp.normalise_phone,
    "member_number": lambda v: jp.nfkc(v).strip().upper(),
    "store_card": lambda v: jp.nfkc(v).strip().upper(),
    "app_id": lambda v: jp.nfkc(v).strip(),
    "line_user_id": lambda v: jp.nfkc(v).strip(),
}
_NOT_MOVED = {"customers", "customer_audit"}


def normalise_identity(kind: str, value: str) -> str:
    """The stored form of an identity value; ValueError when it is not valid for its kind."""
    if kind not in _NORMALISERS:
        raise ValueError(f"unknown identity kind {kind!r}")
    return _NORMALISERS[kind](value)


_REFLECTED: dict[str, MetaData] = {}


def reflected_tables(session: Session) -> MetaData:
    """The database's actual tables (reflected once per database), so that every domain's tables
    are seen even when its models module was never imported in this process."""
    bind = session.connection()
    key = bind.engine.url.render_as_string()
    if key not in _REFLECTED:
        metadata = MetaData()
        metadata.reflect(bind=bind)
        _REFLECTED[key] = metadata
    return _REFLECTED[key]


def _points_at_customers(table: Table) -> bool:
    return (
        table.name not in _NOT_MOVED
        and "customer_id" in table.c
        and any(fk.column.table.name == "customers" for fk in table.c.customer_id.foreign_keys)
    )


def customer_tables(session: Session) -> list[Table]:
    """Tables of things that happened to a customer (rows with their own ``id`` and a
    ``customer_id`` pointing at customers): moved on merge, listed in exports."""
    tables = reflected_tables(session).sorted_tables
    return [t for t in tables if _points_at_customers(t) and "id" in t.c]


def customer_state_tables(session: Session) -> list[Table]:
    """Tables keyed by the customer (derived per-customer state such as CLV predictions):
    recomputed, so a merge drops the merged customer's row instead of moving it."""
    tables = reflected_tables(session).sorted_tables
    return [t for t in tables if _points_at_customers(t) and t.c.customer_id.primary_key]


def do_merge(session: Session, survivor_id: int, merged_id: int, *, actor: str) -> CustomerAudit:
    """Fold ``merged_id`` into ``survivor_id``; audited and reversible with ``do_unmerge``."""
    if survivor_id == merged_id:
        raise MergeRefused("a customer cannot be merged into itself", field="merged_id")
    survivor, merged = get_customer(session, survivor_id), get_customer(session, merged_id)
    if survivor.merged_into_id or merged.merged_into_id:
        raise MergeRefused("one of these customers was already merged away", field="merged_id")
    moved: dict[str, list[int]] = {}
    for table in customer_tables(session):
        ids = list(session.scalars(select(table.c.id).where(table.c.customer_id == merged_id)))
        if ids:
            session.execute(
                update(table).where(table.c.id.in_(ids)).values(customer_id=survivor_id)
            )
            moved[table.name] = ids
    for table in customer_state_tables(session):
        session.execute(delete(table).where(table.c.customer_id == merged_id))
    merged.merged_into_id = survivor_id
    audit = CustomerAudit(
        customer_id=survivor_id,
        action="merged",
        actor=actor,
        detail={"merged_id": merged_id, "moved": moved},
    )
    session.add(audit)
    session.flush()
    return audit


def do_unmerge(session: Session, audit_id: int, *, actor: str) -> Customer:
    """Undo one merge: move the rows it moved back and revive the merged customer."""
    audit = session.get(CustomerAudit, audit_id)
    if audit is None or audit.action != "merged" or audit.reverted_at is not None:
        raise NotFound(f"no open merge #{audit_id}", field="audit_id")
    merged = get_customer(session, audit.detail["merged_id"])
    tables = {table.name: table for table in customer_tables(session)}
    for name, ids in audit.detail["moved"].items():
        table = tables[name]
        session.execute(update(table).where(table.c.id.in_(ids)).values(customer_id=merged.id))
    merged.merged_into_id = None
    audit.reverted_at = now()
    session.add(
        CustomerAudit(
            customer_id=audit.customer_id,
            action="unmerged",
            actor=actor,
            detail={"merged_id": merged.id, "merge_audit_id": audit.id},
        )
    )
    session.flush()
    return merged
