"""Coupons: templates (the rules, as a validated document), unguessable codes, validation and
idempotent redemption.

Codes are 16 characters from Crockford's base-32 alphabet (no I, L, O, U), 80 random bits from
``secrets``, shown as ``XXXX-XXXX-XXXX-XXXX``. Input is normalised before lookup: full-width
characters, lower case, spaces and dashes, and the look-alikes O→0, I/L→1. Redeeming locks the
customer, then the coupon row (the order ``locking`` documents), so two checkouts can never
both take the last use.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kizuna.kit import jp
from kizuna.kit.clock import now
from kizuna.kit.money import format_yen
from kizuna.loyalty.calc import percent_of
from kizuna.loyalty.errors import (
    CouponExpired,
    CouponNotEligible,
    CouponNotFound,
    CouponUsed,
    IdempotencyKeyReused,
    ProgrammeInvalid,
)
from kizuna.loyalty.locking import lock_customer, lock_row
from kizuna.loyalty.models import Coupon, CouponRedemption, CouponTemplate, LoyaltyAccount

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_LOOKALIKE = str.maketrans({"O": "0", "I": "1", "L": "1"})


class CouponRules(BaseModel):
    """What a coupon gives and to whom: ``amount`` yen or ``percent`` off (capped by
    ``max_discount_yen``), from ``min_spend_yen``, for the listed stages/segments (empty: all),
    between ``valid_from`` and ``valid_until``, at most ``per_customer_limit`` times per
    customer and ``total_limit`` times in all."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["amount", "percent"]
    value: Decimal = Field(gt=0)
    max_discount_yen: int | None = Field(default=None, gt=0)
    min_spend_yen: int = Field(default=0, ge=0)
    stages: list[str] = Field(default_factory=list)
    segments: list[str] = Field(default_factory=list)
    valid_from: AwareDatetime | None = None
    valid_until: AwareDatetime | None = None
    per_customer_limit: int = Field(default=1, ge=1)
    total_limit: int | None = Field(default=None, ge=1)

    def discount(self, subtotal: int) -> int:
        """Yen off ``subtotal`` (never more than the subtotal)."""
        off = int(self.value) if self.kind == "amount" else percent_of(subtotal, self.value)
        if self.max_discount_yen is not None:
            off = min(off, self.max_discount_yen)
        return min(off, subtotal)


@dataclass(frozen=True, slots=True)
class CouponCheck:
    code: str
    template: str
    name: str
    discount: int


def new_code() -> str:
    """A fresh unguessable code such as ``7K3M-Q9TZ-2DWA-X4PB``."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def normalise_code(text: str) -> str:
    """The stored form of a code typed by a person."""
    cleaned = jp.nfkc(text).upper().replace("-", "").replace(" ", "").translate(_LOOKALIKE)
    return "-".join(cleaned[i : i + 4] for i in range(0, len(cleaned), 4))


def do_create_template(
    session: Session, code: str, name: str, rules: CouponRules | dict, *, actor: str
) -> CouponTemplate:
    """Store a coupon template (``ProgrammeInvalid`` names a bad rule field)."""
    try:
        checked = rules if isinstance(rules, CouponRules) else CouponRules.model_validate(rules)
    except ValidationError as exc:
        where = ".".join(str(p) for p in exc.errors()[0]["loc"])
        raise ProgrammeInvalid(f"{where}: {exc.errors()[0]['msg']}", field=where) from None
    template = CouponTemplate(
        code=code, name=name, document=checked.model_dump(mode="json"), created_by=actor
    )
    session.add(template)
    session.flush()
    return template


def do_issue_coupons(
    session: Session,
    template_id: int,
    *,
    count: int = 1,
    customer_ids: list[int] | None = None,
    max_uses: int = 1,
    expires_at: datetime | None = None,
) -> list[str]:
    """New codes for a template: one per customer in ``customer_ids``, else ``count`` open ones."""
    owners: list[int | None] = list(customer_ids) if customer_ids else [None] * count
    codes = [new_code() for _ in owners]
    session.add_all(
        Coupon(
            template_id=template_id,
            code=code,
            customer_id=owner,
            max_uses=max_uses,
            uses=0,
            expires_at=expires_at,
        )
        for code, owner in zip(codes, owners, strict=True)
    )
    session.flush()
    return codes


def _find(session: Session, code: str) -> tuple[Coupon, CouponTemplate, CouponRules]:
    coupon = session.scalar(select(Coupon).where(Coupon.code == normalise_code(code)))
    if coupon is None:
        raise CouponNotFound(f"no coupon {code!r}", field="code")
    template = session.get_one(CouponTemplate, coupon.template_id)
    return coupon, template, CouponRules.model_validate(template.document)


def _check(
    session: Session,
    coupon: Coupon,
    template: CouponTemplate,
    rules: CouponRules,
    customer_id: int,
    subtotal: int,
    at: datetime,
    segments: frozenset[str],
) -> int:
    ends = [t for t in (coupon.expires_at, rules.valid_until) if t is not None]
    if not template.active or (rules.valid_from and at < rules.valid_from):
        raise CouponExpired(f"coupon {coupon.code} is not valid yet", field="code")
    if ends and at >= min(ends):
        raise CouponExpired(f"coupon {coupon.code} expired at {min(ends):%Y-%m-%d}", field="code")
    if coupon.customer_id is not None and coupon.customer_id != customer_id:
        raise CouponNotEligible(f"coupon {coupon.code} belongs to someone else", field="code")
    stage = session.scalar(
        select(LoyaltyAccount.stage).where(LoyaltyAccount.customer_id == customer_id)
    )
    if rules.stages and stage not in rules.stages:
        raise CouponNotEligible(f"coupon {coupon.code} is for {rules.stages}", field="stage")
    if rules.segments and not segments & set(rules.segments):
        raise CouponNotEligible(f"coupon {coupon.code} is for {rules.segments}", field="segment")
    if subtotal < rules.min_spend_yen:
        raise CouponNotEligible(
            f"coupon {coupon.code} needs a purchase of {format_yen(rules.min_spend_yen)}",
            field="subtotal",
        )
    _check_uses(session, coupon, rules, customer_id)
    return rules.discount(subtotal)


def _check_uses(session: Session, coupon: Coupon, rules: CouponRules, customer_id: int) -> None:
    if coupon.uses >= coupon.max_uses:
        raise CouponUsed(f"coupon {coupon.code} has already been used", field="code")
    live = CouponRedemption.status == "redeemed"
    mine = session.scalar(
        select(func.count()).where(
            live,
            CouponRedemption.template_id == coupon.template_id,
            CouponRedemption.customer_id == customer_id,
        )
    )
    if (mine or 0) >= rules.per_customer_limit:
        raise CouponUsed("this customer has used this coupon as often as allowed", field="code")
    if rules.total_limit is not None:
        total = session.scalar(
            select(func.count()).where(live, CouponRedemption.template_id == coupon.template_id)
        )
        if (total or 0) >= rules.total_limit:
            raise CouponUsed("this coupon has run out", field="code")


def validate_coupon(
    session: Session,
    code: str,
    customer_id: int,
    subtotal: int,
    *,
    at: datetime | None = None,
    segments: frozenset[str] = frozenset(),
) -> CouponCheck:
    """The discount ``code`` gives this customer on ``subtotal`` yen, or the reason it does not
    apply (``CouponNotFound``, ``CouponExpired``, ``CouponNotEligible``, ``CouponUsed``)."""
    coupon, template, rules = _find(session, code)
    off = _check(session, coupon, template, rules, customer_id, subtotal, at or now(), segments)
    return CouponCheck(coupon.code, template.code, template.name, off)


def do_redeem_coupon(
    session: Session,
    code: str,
    customer_id: int,
    subtotal: int,
    *,
    key: str,
    order_ref: str | None = None,
    at: datetime | None = None,
    segments: frozenset[str] = frozenset(),
) -> CouponCheck:
    """Use ``code`` on an order; the same ``key`` again returns the first redemption."""
    at = at or now()
    lock_customer(session, customer_id)
    done = session.scalar(select(CouponRedemption).where(CouponRedemption.idempotency_key == key))
    coupon, template, rules = _find(session, code)
    if done is not None:
        if done.coupon_id != coupon.id or done.customer_id != customer_id:
            raise IdempotencyKeyReused(
                f"key {key!r} was used for another coupon", field="idempotency_key"
            )
        return CouponCheck(coupon.code, template.code, template.name, done.discount_yen)
    lock_row(session, "coupons", coupon.id)
    session.refresh(coupon)
    off = _check(session, coupon, template, rules, customer_id, subtotal, at, segments)
    coupon.uses += 1
    session.add(
        CouponRedemption(
            coupon_id=coupon.id,
            template_id=template.id,
            customer_id=customer_id,
            idempotency_key=key,
            order_ref=order_ref,
            discount_yen=off,
            status="redeemed",
            redeemed_at=at,
        )
    )
    session.flush()
    return CouponCheck(coupon.code, template.code, template.name, off)


def do_reverse_coupon(session: Session, key: str, *, at: datetime | None = None) -> bool:
    """Give back the use taken by redemption ``key`` (order cancelled); False if none is live."""
    done = session.scalar(select(CouponRedemption).where(CouponRedemption.idempotency_key == key))
    if done is None or done.status != "redeemed":
        return False
    lock_customer(session, done.customer_id)
    lock_row(session, "coupons", done.coupon_id)
    session.refresh(done)
    if done.status != "redeemed":
        return False
    coupon = session.get_one(Coupon, done.coupon_id)
    session.refresh(coupon)
    coupon.uses -= 1
    done.status, done.reversed_at = "reversed", at or now()
    session.flush()
    return True
