"""Coupons (unguessable codes, validation, idempotent redemption, reuse refused) and
``quote(customer, cart)`` with stage, subscription, volume and coupon discounts and points."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy.orm import Session, sessionmaker

from kizuna.kit.db import make_engine, make_sessionmaker, session_scope
from kizuna.loyalty.coupons import (
    do_create_template,
    do_issue_coupons,
    do_redeem_coupon,
    do_reverse_coupon,
    normalise_code,
    validate_coupon,
)
from kizuna.loyalty.errors import (
    CouponExpired,
    CouponNotEligible,
    CouponNotFound,
    CouponUsed,
    ProgrammeInvalid,
)
from kizuna.loyalty.ledger import post
from kizuna.loyalty.quote import Cart, CartLine, quote
from kizuna.loyalty.stages import evaluate_stage

from .factories import T0, days, member, order

RULES = {
    "kind": "amount",
    "value": 500,
    "min_spend_yen": 3000,
    "valid_until": (T0 + days(30)).isoformat(),
}


def a_coupon(session: Session, rules: dict | None = None, **issue) -> str:
    template = do_create_template(session, "WELCOME", "ようこそクーポン", rules or RULES, actor="t")
    return do_issue_coupons(session, template.id, **issue)[0]


class TestCoupons:
    def test_codes_are_long_random_and_forgiving_to_type(self, session: Session) -> None:
        member(session)
        code = a_coupon(session)
        assert len(code) == 19 and code.count("-") == 3
        typed = code.lower().replace("-", " ").replace("0", "o")
        assert normalise_code(typed) == code
        full_width = code.translate(
            {ord(c): ord(c) + 0xFEE0 for c in "0123456789ABCDEFGHJKMNPQRSTVWXYZ"}
        )
        assert validate_coupon(session, full_width, 1, 5000, at=T0).discount == 500

    def test_redeem_is_idempotent_and_a_second_use_is_refused(self, session: Session) -> None:
        cid = member(session)
        code = a_coupon(session)
        first = do_redeem_coupon(session, code, cid, 5000, key="o1", order_ref="W-1", at=T0)
        again = do_redeem_coupon(session, code, cid, 5000, key="o1", order_ref="W-1", at=T0)
        assert first == again and first.discount == 500
        with pytest.raises(CouponUsed) as err:
            do_redeem_coupon(session, code, cid, 5000, key="o2", at=T0)
        assert err.value.field == "code"
        assert do_reverse_coupon(session, "o1", at=T0) is True
        assert do_redeem_coupon(session, code, cid, 5000, key="o3", at=T0).discount == 500

    @pytest.mark.parametrize(
        ("case", "error", "field"),
        [
            ("unknown", CouponNotFound, "code"),
            ("expired", CouponExpired, "code"),
            ("below_minimum", CouponNotEligible, "subtotal"),
            ("wrong_stage", CouponNotEligible, "stage"),
            ("someone_elses", CouponNotEligible, "code"),
        ],
    )
    def test_bad_coupons_say_why(self, session: Session, case: str, error, field: str) -> None:
        cid = member(session)
        other = member(session, "OTHER")
        rules = RULES | ({"stages": ["gold"]} if case == "wrong_stage" else {})
        code = a_coupon(session, rules, customer_ids=[other] if case == "someone_elses" else None)
        code = "ZZZZ-ZZZZ-ZZZZ-ZZZZ" if case == "unknown" else code
        at = T0 + days(31) if case == "expired" else T0
        subtotal = 2999 if case == "below_minimum" else 5000
        with pytest.raises(error) as err:
            validate_coupon(session, code, cid, subtotal, at=at)
        assert err.value.field == field

    def test_a_template_with_bad_rules_is_refused(self, session: Session) -> None:
        with pytest.raises(ProgrammeInvalid) as err:
            do_create_template(session, "X", "x", {"kind": "amount", "value": -1}, actor="t")
        assert err.value.field == "value"

    def test_the_last_use_goes_to_exactly_one_of_many_checkouts(self, db_url: str) -> None:
        engine = make_engine(db_url, pool_size=16)
        sessions: sessionmaker[Session] = make_sessionmaker(engine)
        with session_scope(sessions) as session:
            ids = [member(session, f"M{n}") for n in range(16)]
            code = a_coupon(session, RULES | {"per_customer_limit": 1}, max_uses=3)
        won, gate = [], threading.Barrier(16)

        def checkout(n: int) -> None:
            gate.wait()
            try:
                with session_scope(sessions) as session:
                    do_redeem_coupon(session, code, ids[n], 5000, key=f"k{n}", at=T0)
                won.append(n)
            except CouponUsed:
                pass

        threads = [threading.Thread(target=checkout, args=(n,)) for n in range(16)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        engine.dispose()
        assert len(won) == 3


class TestQuote:
    def test_a_gold_member_s_cart(self, session: Session) -> None:
        cid = member(session)
        order(session, "M1", "A-1", 60_000, at=T0 - days(5))
        evaluate_stage(session, cid, at=T0 - days(5))
        post.do_earn(session, cid, 800, key="bank", reason="survey", at=T0)
        code = a_coupon(session)
        cart = Cart(
            lines=(
                CartLine("BEAN", 2, 1800),
                CartLine("SUB", 1, 4000, subscription=True),
                CartLine("MUG", 1, 4600),
            ),
            shipping_fee=600,
            coupon_codes=(code, "NOPE-NOPE-NOPE-NOPE"),
            points_to_use=1000,
        )
        q = quote(session, cid, cart, at=T0 + days(1))  # the 11th: no ×2 day
        assert (q.stage, q.subtotal) == ("gold", 12_200)
        # Gold 3% on every line; subscription 10% added to it on the subscription line
        assert (q.stage_discount, q.subscription_discount) == (108 + 120 + 138, 400)
        assert q.volume_discount == 500  # ¥11,434 reaches the ¥10,000 tier
        assert (q.coupon_discount, [c.code for c in q.coupons]) == (500, [code])
        assert q.coupons_rejected[0]["error"] == "coupon_not_found"
        assert (q.shipping_fee, q.shipping_waived) == (0, 600)  # Gold: free from ¥3,000
        payable = 12_200 - 366 - 400 - 500 - 500
        assert (q.points_usable, q.points_applied) == (800, 800)
        assert q.total == payable - 800
        assert q.points_to_earn == (payable - 800) * 2 // 100
        assert q.next_stage_message["en"].startswith("¥90,000 more to Platinum")

    def test_points_usable_respect_the_balance_and_the_minimum(self, session: Session) -> None:
        cid = member(session)
        q = quote(session, cid, Cart((CartLine("A", 1, 1000),), points_to_use=50), at=T0)
        assert (q.points_usable, q.points_applied, q.total) == (0, 0, 1000)
        assert q.points_to_earn == 20  # 1% at Silver, doubled on the 10th (5と0のつく日)
        assert [ln["rule"] for ln in q.earn_lines] == ["base", "gotoobi"]
