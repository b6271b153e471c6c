"""What a journey message says: context providers that read the record when the message is
made (not when the customer enrolled), so a message never shows stale points or items.

A ``send_message`` step lists providers in ``params.with``; each fills keys of the template's
context for a batch of customers in a few queries:

* ``order``: ``order_number``, ``order_total`` (formatted yen);
* ``shipment``: ``carrier``, ``tracking_url`` (the carrier's tracking page), ``order_number``;
* ``cart``: ``items`` (the cart's products) and ``alternatives`` (``recommend.alternatives_for``);
* ``for_you``: ``items`` (``recommend.for_you``);
* ``points_expiring``: ``points`` still expiring on ``expires_on`` (re-read from the ledger;
  when nothing is left the message is skipped) and ``next_stage_gap`` (loyalty's stage line,
  computed set-based for the whole batch by ``loyalty.stage_gaps``);
* ``stage``: ``stage_name`` and ``benefits`` of the stage reached (loyalty programme);
* ``review``: ``review_url``; ``survey``: ``survey_url``;
* ``warranty``: ``product`` (the covered product's name), ``plan`` (the warranty plan's name in
  the customer's language) and ``ends_on`` (the last covered day), re-read from the enrolment;
  a warranty cancelled since is skipped.

Product links point at the storefront (``params.shop_url``, default the public URL) as
``/products/<sku>``. A provider that finds nothing to say returns ``None`` for the customer, and
the step records ``skipped:<provider>`` instead of sending an empty message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from typing import Any, Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.catalog.models import Product
from kizuna.channels.config import get_channel_settings
from kizuna.kit.clock import start_of_day, to_shop_tz
from kizuna.kit.money import format_yen
from kizuna.loyalty.models import PointLot
from kizuna.loyalty.stage_gaps import next_stage_gaps
from kizuna.loyalty.versions import active_programme
from kizuna.orders.aftersales_models import WarrantyEnrolment, WarrantyPlan
from kizuna.orders.models import Order
from kizuna.recommend.queries import alternatives_for, for_you
from kizuna.settings import get_settings

Context = dict[str, Any]


class Recipient(Protocol):
    """Who a message is for: an enrolment, or a campaign recipient."""

    @property
    def id(self) -> int: ...
    @property
    def customer_id(self) -> int: ...
    @property
    def context(self) -> dict[str, Any]: ...


Provider = Callable[
    [Session, Sequence[Recipient], Mapping[str, Any], dict[int, str]], dict[int, Context | None]
]
TRACKING = {
    "ヤマト運輸": "https://toi.kuronekoyamato.co.jp/cgi-bin/tneko?number00=1&number01={n}",
    "yamato": "https://toi.kuronekoyamato.co.jp/cgi-bin/tneko?number00=1&number01={n}",
    "佐川急便": "https://k2k.sagawa-exp.co.jp/p/web/okurijosearch.do?okurijoNo={n}",
    "sagawa": "https://k2k.sagawa-exp.co.jp/p/web/okurijosearch.do?okurijoNo={n}",
    "日本郵便": "https://trackings.post.japanpost.jp/services/srv/search/direct?reqCodeNo1={n}",
    "japan_post": "https://trackings.post.japanpost.jp/services/srv/search/direct?reqCodeNo1={n}",
}
PROVIDERS: dict[str, Provider] = {}


def provider(name: str) -> Callable[[Provider], Provider]:
    """Register a context provider."""

    def register(fn: Provider) -> Provider:
        PROVIDERS[name] = fn
        return fn

    return register


def shop_url(params: Mapping[str, Any]) -> str:
    """The storefront's base URL."""
    return str(params.get("shop_url") or get_channel_settings().public_url).rstrip("/")


def product_items(
    session: Session, skus: Sequence[str], params: Mapping[str, Any]
) -> list[Context]:
    """``{sku, name, price, url}`` for the products among ``skus``, in order."""
    rows = {
        sku: (name, price)
        for sku, name, price in session.execute(
            select(Product.sku, Product.name, Product.price).where(Product.sku.in_(list(skus)))
        )
    }
    base = shop_url(params)
    return [
        {
            "sku": s,
            "name": rows[s][0] or s,
            "price": format_yen(rows[s][1]),
            "url": f"{base}/products/{s}",
        }
        for s in skus
        if s in rows
    ]


@provider("order")
def _order(
    session: Session, rows: Sequence[Recipient], params: Mapping[str, Any], lang: dict[int, str]
) -> dict[int, Context | None]:
    ids = [int(r.context["order_id"]) for r in rows if r.context.get("order_id")]
    orders = {
        oid: (number, total)
        for oid, number, total in session.execute(
            select(Order.id, Order.order_number, Order.total).where(Order.id.in_(ids))
        )
    }
    out: dict[int, Context | None] = {}
    for r in rows:
        found = orders.get(int(r.context.get("order_id") or 0))
        out[r.id] = (
            {"order_number": found[0], "order_total": format_yen(found[1])} if found else None
        )
    return out


@provider("shipment")
def _shipment(
    session: Session, rows: Sequence[Recipient], params: Mapping[str, Any], lang: dict[int, str]
) -> dict[int, Context | None]:
    out: dict[int, Context | None] = {}
    for r in rows:
        carrier, number = r.context.get("carrier"), r.context.get("tracking_number")
        if not carrier or not number:
            out[r.id] = None
            continue
        page = TRACKING.get(str(carrier))
        url = (
            page.format(n=number)
            if page
            else f"{shop_url(params)}/orders/{r.context.get('order_number')}"
        )
        out[r.id] = {
            "carrier": carrier,
            "tracking_url": url,
            "order_number": r.context.get("order_number", ""),
        }
    return out


@provider("cart")
def _cart(
    session: Session, rows: Sequence[Recipient], params: Mapping[str, Any], lang: dict[int, str]
) -> dict[int, Context | None]:
    limit = int(params.get("alternatives", 3))
    out: dict[int, Context | None] = {}
    for r in rows:
        skus = list(r.context.get("skus") or [])
        items = product_items(session, skus, params)
        if not items:
            out[r.id] = None
            continue
        picks = [p.sku for p in alternatives_for(session, skus, n=limit)] if limit else []
        out[r.id] = {"items": items, "alternatives": product_items(session, picks, params)}
    return out


@provider("for_you")
def _for_you(
    session: Session, rows: Sequence[Recipient], params: Mapping[str, Any], lang: dict[int, str]
) -> dict[int, Context | None]:
    limit = int(params.get("items", 4))
    return {
        r.id: {
            "items": product_items(
                session, [p.sku for p in for_you(session, r.customer_id, n=limit)], params
            )
        }
        for r in rows
    }


@provider("points_expiring")
def _expiring(
    session: Session, rows: Sequence[Recipient], params: Mapping[str, Any], lang: dict[int, str]
) -> dict[int, Context | None]:
    zone = get_settings().shop_timezone
    days = {r.id: date.fromisoformat(str(r.context.get("expires_on"))) for r in rows}
    if not days:
        return {}
    left: dict[tuple[int, date], int] = {}
    stmt = select(PointLot.customer_id, PointLot.expires_at, PointLot.remaining).where(
        PointLot.customer_id.in_(sorted({r.customer_id for r in rows})),
        PointLot.remaining > 0,
        PointLot.expires_at > start_of_day(min(days.values()), zone),
        PointLot.expires_at <= start_of_day(max(days.values()) + timedelta(days=1), zone),
    )
    found: Any = session.execute(stmt)
    for cid, expires, remaining in found:
        last = to_shop_tz(expires - timedelta(microseconds=1), zone).date()
        left[(cid, last)] = left.get((cid, last), 0) + remaining
    gaps: dict[int, dict[str, str]] = {}
    if params.get("stage_gap", True):
        due = {r.customer_id for r in rows if left.get((r.customer_id, days[r.id]))}
        gaps = next_stage_gaps(session, due)
    out: dict[int, Context | None] = {}
    for r in rows:
        points = left.get((r.customer_id, days[r.id]), 0)
        if not points:
            out[r.id] = None
            continue
        language = lang[r.id]
        context: Context = {"points": f"{points:,}", "expires_on": _date_text(days[r.id], language)}
        if r.customer_id in gaps:
            context["next_stage_gap"] = gaps[r.customer_id][language]
        out[r.id] = context
    return out


def _date_text(day: date, language: str) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if language == "ja" else day.isoformat()


@provider("stage")
def _stage(
    session: Session,
    rows: Sequence[Recipient],
    params: Mapping[str, Any],
    lang: dict[int, str],
) -> dict[int, Context | None]:
    programme = active_programme(session)
    out: dict[int, Context | None] = {}
    for r in rows:
        stage = programme.stage(r.context.get("to_stage"))
        language = lang[r.id]
        out[r.id] = {
            "stage_name": stage.name(language),
            "benefits": [b.label(language) for b in stage.benefits],
        }
    return out


@provider("review")
def _review(
    session: Session, rows: Sequence[Recipient], params: Mapping[str, Any], lang: dict[int, str]
) -> dict[int, Context | None]:
    base = shop_url(params)
    return {
        r.id: {
            "review_url": f"{base}/orders/{r.context.get('order_number')}/review",
            "order_number": r.context.get("order_number", ""),
        }
        for r in rows
    }


@provider("survey")
def _survey(
    session: Session, rows: Sequence[Recipient], params: Mapping[str, Any], lang: dict[int, str]
) -> dict[int, Context | None]:
    base, code = shop_url(params), params.get("survey", "after-purchase")
    return {
        r.id: {
            "survey_url": f"{base}/surveys/{code}?order={r.context.get('order_number', '')}",
            "order_number": r.context.get("order_number", ""),
        }
        for r in rows
    }


@provider("warranty")
def _warranty(
    session: Session, rows: Sequence[Recipient], params: Mapping[str, Any], lang: dict[int, str]
) -> dict[int, Context | None]:
    ids = sorted({int(r.context["warranty_id"]) for r in rows if r.context.get("warranty_id")})
    found = {
        wid: (ends, name or sku, plan_ja, plan_en)
        for wid, ends, sku, name, plan_ja, plan_en in session.execute(
            select(
                WarrantyEnrolment.id,
                WarrantyEnrolment.ends_on,
                WarrantyEnrolment.sku,
                Product.name,
                WarrantyPlan.name_ja,
                WarrantyPlan.name_en,
            )
            .join(WarrantyPlan, WarrantyPlan.id == WarrantyEnrolment.plan_id)
            .outerjoin(Product, Product.sku == WarrantyEnrolment.sku)
            .where(WarrantyEnrolment.id.in_(ids), WarrantyEnrolment.status == "active")
        )
    }
    out: dict[int, Context | None] = {}
    for r in rows:
        hit = found.get(int(r.context.get("warranty_id") or 0))
        if hit is None:
            out[r.id] = None
            continue
        ends, product, plan_ja, plan_en = hit
        language = lang[r.id]
        out[r.id] = {
            "product": product,
            "plan": plan_ja if language == "ja" else plan_en,
            "ends_on": _date_text(ends, language),
        }
    return out


def build(
    session: Session,
    names: Sequence[str],
    rows: Sequence[Recipient],
    params: Mapping[str, Any],
    lang: dict[int, str],
) -> dict[int, Context | str]:
    """``{enrolment id: context}`` merged from the providers, or the name of the provider that
    had nothing to say for the customer (the message is skipped)."""
    out: dict[int, Context | str] = {r.id: {} for r in rows}
    for name in names:
        if name not in PROVIDERS:
            raise KeyError(f"unknown message content provider {name!r}; known: {sorted(PROVIDERS)}")
        live = [r for r in rows if isinstance(out[r.id], dict)]
        for rid, context in PROVIDERS[name](session, live, params, lang).items():
            current = out[rid]
            if context is None:
                out[rid] = name
            elif isinstance(current, dict):
                current.update(context)
    return out
