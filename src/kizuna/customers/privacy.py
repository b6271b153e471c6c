"""APPI requests: disclose everything stored about one customer, or erase their personal data.

Both walk the schema instead of naming tables: every table with a ``customer_id`` pointing at
``customers`` is included, and tables that hang off those rows (order lines, shipment events…)
follow, so a domain added later is covered without touching this module. Erasure removes personal
fields and identities but keeps order facts, anonymised; both requests are audited.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Table, delete, select, update
from sqlalchemy.orm import Session

from kizuna.customers.identity import customer_state_tables, customer_tables, reflected_tables
from kizuna.customers.models import Customer, CustomerAudit, Identity
from kizuna.customers.service import get_customer
from kizuna.kit.clock import now

PERSONAL_FIELDS = (
    "family_name",
    "given_name",
    "family_kana",
    "given_kana",
    "birth_date",
    "postal_code",
    "occupation",
)
PERSONAL_COLUMNS_ELSEWHERE = ("guest_email", "guest_phone", "anonymous_id")
_SKIP_CHILDREN = {"customers", "customer_audit"}


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def _rows(session: Session, table: Table, column: str, ids: list[int]) -> list[dict[str, Any]]:
    if not ids:
        return []
    order = list(table.primary_key.columns)
    result = session.execute(select(table).where(table.c[column].in_(ids)).order_by(*order))
    return [{k: _plain(v) for k, v in row._mapping.items()} for row in result]


def _children(session: Session, table: Table) -> list[tuple[Table, str]]:
    return [
        (child, fk.parent.name)
        for child in reflected_tables(session).sorted_tables
        if child.name not in _SKIP_CHILDREN
        for fk in child.foreign_keys
        if fk.column.table is table and fk.parent.name != "customer_id"
    ]


def _collect(session: Session, table: Table, rows: list[dict], out: dict, depth: int) -> None:
    for child, column in _children(session, table) if depth < 3 else []:
        found = _rows(session, child, column, [r["id"] for r in rows])
        if found:
            out.setdefault(child.name, []).extend(found)
            _collect(session, child, found, out, depth + 1)


def export_customer(session: Session, customer_id: int, *, actor: str) -> dict[str, Any]:
    """Everything kizuna stores about the customer, as JSON-ready data; the request is audited."""
    customer = get_customer(session, customer_id)
    customers = reflected_tables(session).tables["customers"]
    out: dict[str, Any] = {"customer": _rows(session, customers, "id", [customer.id])[0]}
    for table in customer_tables(session):
        rows = _rows(session, table, "customer_id", [customer.id])
        if rows:
            out[table.name] = rows
            _collect(session, table, rows, out, 1)
    for table in customer_state_tables(session):
        rows = _rows(session, table, "customer_id", [customer.id])
        if rows:
            out[table.name] = rows
    session.add(CustomerAudit(customer_id=customer.id, action="exported", actor=actor, detail={}))
    session.flush()
    out["exported_at"] = now().isoformat()
    return out


def erase_customer(session: Session, customer_id: int, *, actor: str, reason: str) -> Customer:
    """Remove the customer's personal data; orders stay as anonymous facts. Audited, idempotent."""
    customer = get_customer(session, customer_id)
    for name in PERSONAL_FIELDS:
        setattr(customer, name, None)
    customer.attributes = {}
    customer.external_id = None if customer.external_id is None else f"erased-{customer.id}"
    customer.erased_at = customer.erased_at or now()
    session.execute(delete(Identity).where(Identity.customer_id == customer.id))
    for table in customer_tables(session):
        columns = {c: None for c in PERSONAL_COLUMNS_ELSEWHERE if c in table.c}
        if columns:
            session.execute(
                update(table).where(table.c.customer_id == customer.id).values(**columns)
            )
    session.add(
        CustomerAudit(
            customer_id=customer.id, action="erased", actor=actor, detail={"reason": reason}
        )
    )
    session.flush()
    return customer
