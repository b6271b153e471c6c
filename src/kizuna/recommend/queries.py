"""The storefront reads: each is one primary-key lookup in the precomputed tables, filtered by
the (cached) set of SKUs out of stock now. ``build_all`` must have run for lists to exist."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from kizuna.recommend.store import customer_row, popular_list, product_rows, unsellable


@dataclass(frozen=True)
class Pick:
    """One recommended SKU and why: ``again`` (buy again), ``cf`` (customers like you),
    ``affinity`` (popular in categories you browse), ``segment`` (popular near you),
    ``popular`` (shop best-seller), ``related`` / ``alternative`` (item-to-item),
    ``most_bought`` / ``for_you`` (gift picks)."""

    sku: str
    reason: str
    score: float | None = None


def related_for(session: Session, sku: str, n: int = 10) -> list[Pick]:
    """Products related to ``sku`` (bought or viewed together), best first."""
    row = product_rows(session, [sku]).get(sku)
    if row is None:
        return []
    gone = unsellable(session)
    return [Pick(s, "related", score) for s, score in row[0] if s not in gone][:n]


def for_you(session: Session, customer_id: int, n: int = 10) -> list[Pick]:
    """A customer's "for you" list; the shop's best-sellers for customers not built yet."""
    gone = unsellable(session)
    row = customer_row(session, customer_id)
    if row is None:
        return [Pick(s, "popular") for s in popular_list(session, "shop") if s not in gone][:n]
    return [Pick(s, why) for s, why in row[0] if s not in gone][:n]


def alternatives_for(session: Session, skus: Sequence[str], n: int = 10) -> list[Pick]:
    """Substitutes for the items of a cart: the items' alternatives taken in turn (round robin,
    best first), never an item already in the cart."""
    rows = product_rows(session, list(dict.fromkeys(skus)))
    gone = unsellable(session) | set(skus)
    lists = [rows[sku][1] for sku in dict.fromkeys(skus) if sku in rows]
    out: list[Pick] = []
    seen: set[str] = set()
    for depth in range(max((len(x) for x in lists), default=0)):
        for items in lists:
            if depth < len(items) and items[depth][0] not in gone | seen:
                seen.add(items[depth][0])
                out.append(Pick(items[depth][0], "alternative", items[depth][1]))
                if len(out) >= n:
                    return out
    return out


def gift_for(session: Session, customer_id: int) -> Pick | None:
    """The gift pick of a customer; when it went out of stock since the build, the first
    "for you" item still in stock; None when nothing is known."""
    row = customer_row(session, customer_id)
    if row is None:
        return None
    gone = unsellable(session)
    if row[1] is not None and row[1] not in gone:
        return Pick(row[1], row[2])
    return next((Pick(s, "for_you") for s, _why in row[0] if s not in gone), None)
