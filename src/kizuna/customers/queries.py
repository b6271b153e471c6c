"""Customer reads: search by name, kana, email, phone, member number or id; one profile."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kizuna.customers.identity import normalise_identity
from kizuna.customers.models import ConsentChange, Customer, Identity
from kizuna.customers.service import current_consents, get_customer
from kizuna.kit import jp

_END = "\U0010ffff"


@dataclass(frozen=True)
class CustomerCard:
    """What a list shows about a customer."""

    id: int
    external_id: str | None
    name: str
    kana: str
    is_member: bool
    prefecture: str | None
    email: str | None
    is_problem: bool


@dataclass
class CustomerProfile:
    """One customer with identities and current consent, for the customer page and the API."""

    customer: Customer
    identities: dict[str, list[str]] = field(default_factory=dict)
    consents: dict[str, dict[str, Any]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        c = self.customer
        return {
            "id": c.id,
            "external_id": c.external_id,
            "is_member": c.is_member,
            "family_name": c.family_name,
            "given_name": c.given_name,
            "family_kana": c.family_kana,
            "given_kana": c.given_kana,
            "name": jp.full_name(c.family_name, c.given_name),
            "birth_date": c.birth_date,
            "gender": c.gender,
            "prefecture": c.prefecture,
            "postal_code": c.postal_code,
            "country": c.country,
            "occupation": c.occupation,
            "registered_at": c.registered_at,
            "registration_channel": c.registration_channel,
            "marketing_status": c.marketing_status,
            "attributes": c.attributes,
            "is_problem": c.is_problem,
            "problem_reason": c.problem_reason,
            "merged_into_id": c.merged_into_id,
            "erased_at": c.erased_at,
            "identities": self.identities,
            "consents": self.consents,
        }


def _prefix(column: Any, text: str) -> Any:
    return (column >= text) & (column < text + _END)


def _identity_matches(text: str) -> list[tuple[str, str]]:
    pairs = []
    for kind in ("email", "phone", "member_number", "store_card", "line_user_id", "app_id"):
        try:
            pairs.append((kind, normalise_identity(kind, text)))
        except ValueError:
            continue
    return pairs


def search_customers(session: Session, query: str, limit: int = 50) -> list[CustomerCard]:
    """Customers matching ``query``: an identity or id, or a name/kana prefix (姓, 姓 名, セイ).

    Each kind of match is its own indexed lookup (an OR of them makes the planners scan every
    customer); the ids found are then read once, in kana order.
    """
    text = jp.nfkc(query).strip()
    if not text:
        return []
    ids: set[int] = set()
    lookups: list[Any] = [select(Customer.id).where(Customer.external_id == text)]
    if text.isdigit():
        ids.add(int(text))
    for kind, value in _identity_matches(text):
        lookups.append(
            select(Identity.customer_id).where(Identity.kind == kind, Identity.value == value)
        )
    family, _, given = text.replace("　", " ").partition(" ")
    kana = jp.to_katakana(family)
    if given:
        name = (Customer.family_name == family) & _prefix(Customer.given_name, given)
        reading = (Customer.family_kana == kana) & _prefix(
            Customer.given_kana, jp.to_katakana(given)
        )
        lookups += [select(Customer.id).where(name), select(Customer.id).where(reading)]
    else:
        by_name = _prefix(Customer.family_name, family)
        by_kana = _prefix(Customer.family_kana, kana)
        lookups += [
            select(Customer.id).where(by_name).order_by(Customer.family_name, Customer.id),
            select(Customer.id).where(by_kana).order_by(Customer.family_kana, Customer.id),
        ]
    for lookup in lookups:
        ids.update(session.scalars(lookup.limit(limit)))
    if not ids:
        return []
    rows = session.scalars(
        select(Customer)
        .where(Customer.id.in_(sorted(ids)), Customer.merged_into_id.is_(None))
        .order_by(Customer.family_kana, Customer.id)
        .limit(limit)
    ).all()
    emails = _first_emails(session, [c.id for c in rows])
    return [_card(c, emails.get(c.id)) for c in rows]


def _first_emails(session: Session, ids: list[int]) -> dict[int, str]:
    # filter the kind in Python: with "kind = 'email'" in SQL the planner walks the whole
    # (kind, value) index instead of the customer_id one
    if not ids:
        return {}
    query = select(Identity.customer_id, Identity.kind, Identity.value).where(
        Identity.customer_id.in_(ids)
    )
    emails: dict[int, str] = {}
    for customer_id, kind, value in session.execute(query):
        if kind == "email" and (customer_id not in emails or value < emails[customer_id]):
            emails[customer_id] = value
    return emails


def _card(c: Customer, email: str | None) -> CustomerCard:
    kana = " ".join(p for p in (c.family_kana, c.given_kana) if p)
    name = jp.full_name(c.family_name, c.given_name) or (c.external_id or f"#{c.id}")
    return CustomerCard(
        c.id, c.external_id, name, kana, c.is_member, c.prefecture, email, c.is_problem
    )


def customer_profile(session: Session, customer_id: int) -> CustomerProfile:
    """The customer with identities and current consents; NotFound if absent."""
    customer = get_customer(session, customer_id)
    profile = CustomerProfile(customer)
    for identity in session.scalars(select(Identity).where(Identity.customer_id == customer_id)):
        profile.identities.setdefault(identity.kind, []).append(identity.value)
    for channel, change in current_consents(session, customer_id).items():
        profile.consents[channel] = _consent(change)
    return profile


def _consent(change: ConsentChange) -> dict[str, Any]:
    return {"granted": change.granted, "source": change.source, "changed_at": change.changed_at}


def find_by_external_id(session: Session, external_id: str) -> Customer | None:
    """The customer with the shop's id ``external_id`` (after merges, the survivor)."""
    customer = session.scalar(select(Customer).where(Customer.external_id == external_id))
    if customer is not None and customer.merged_into_id:
        return session.get(Customer, customer.merged_into_id)
    return customer


def customer_counts(session: Session) -> dict[str, int]:
    """Customers in total, members and guests (merged-away rows not counted)."""
    rows = session.execute(
        select(Customer.is_member, func.count())
        .where(Customer.merged_into_id.is_(None))
        .group_by(Customer.is_member)
    )
    by_kind = {bool(member): count for member, count in rows}
    members, guests = by_kind.get(True, 0), by_kind.get(False, 0)
    return {"customers": members + guests, "members": members, "guests": guests}
