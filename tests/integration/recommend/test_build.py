"""build_all over a hand-made shop on SQLite and PostgreSQL, read back through the storefront
functions: exclusions, fallbacks, freshness of stock, content by audience, one lookup a read."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from sqlalchemy import event, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from kizuna.catalog.models import Product
from kizuna.customers.identity import do_merge
from kizuna.kit.db import session_scope
from kizuna.recommend import (
    Audience,
    Block,
    ContentRule,
    SlotContent,
    alternatives_for,
    build_all,
    content_block,
    content_history,
    do_publish_content,
    evaluate,
    for_you,
    gift_for,
    related_for,
)
from kizuna.recommend.models import RecommendCustomer, RecommendProduct
from kizuna.recommend.store import forget_stock, latest_run
from tests.integration.recommend.shop import REGULARS, Shop, build_shop

UNSELLABLE = {"BEAN-C", "MUG-3"}


@pytest.fixture
def shop(sessions: sessionmaker[Session]) -> Iterator[Shop]:
    forget_stock()
    with session_scope(sessions) as session:
        built = build_shop(session)
    with session_scope(sessions) as session:
        build_all(session, audience=lambda s: [(built.ids["target"], "gold", "loyal", ["vip"])])
    yield built
    forget_stock()


def skus(picks: list) -> list[str]:
    return [p.sku for p in picks]


class TestBuildAll:
    def test_report_counts_every_customer_and_product(
        self, sessions: sessionmaker[Session], shop: Shop
    ) -> None:
        with session_scope(sessions) as s:
            run = latest_run(s, "build")
            assert run is not None
            assert run.report["customers"] == REGULARS + 4
            assert run.report["products"] == 8
            assert run.report["served_by"] == {
                "model": REGULARS + 1,
                "affinity": 1,
                "segment": 1,
                "popular": 1,
            }
            # the guest (東京都) gets the Tokyo list; the Osaka customer the shop's

    def test_rebuild_replaces_rows(self, sessions: sessionmaker[Session], shop: Shop) -> None:
        with session_scope(sessions) as s:
            build_all(s)
        with session_scope(sessions) as s:
            assert s.scalar(select(func.count()).select_from(RecommendCustomer)) == REGULARS + 4
            assert s.scalar(select(func.count()).select_from(RecommendProduct)) == 8


class TestForYou:
    def test_buy_again_without_one_off_or_unsellable_items(
        self, sessions: sessionmaker[Session], shop: Shop
    ) -> None:
        with session_scope(sessions) as s:
            picks = for_you(s, shop.ids["target"], 10)
        assert "MUG-1" not in skus(picks)  # bought once, nobody buys it twice
        assert not UNSELLABLE & set(skus(picks))
        assert ("BEAN-A", "again") in [(p.sku, p.reason) for p in picks]
        assert len(picks) == len(set(skus(picks)))

    def test_browser_gets_category_affinity_and_cold_gets_best_sellers(
        self, sessions: sessionmaker[Session], shop: Shop
    ) -> None:
        with session_scope(sessions) as s:
            browser = for_you(s, shop.ids["browser"], 5)
            cold = for_you(s, shop.ids["cold"], 3)
        assert (browser[0].sku, browser[0].reason) == ("MUG-1", "affinity")
        assert [p.reason for p in cold] == ["popular"] * 3
        assert skus(cold)[:2] == ["BEAN-A", "MUG-1"]

    def test_customer_registered_after_the_build_gets_the_shop_list(
        self, sessions: sessionmaker[Session], shop: Shop
    ) -> None:
        with session_scope(sessions) as s:
            new = shop_customer(s, "late")
            picks = for_you(s, new, 2)
        assert [(p.sku, p.reason) for p in picks] == [("BEAN-A", "popular"), ("MUG-1", "popular")]


def shop_customer(session: Session, key: str) -> int:
    shop = Shop(session)
    return shop.customer(key)


class TestRelatedAndAlternatives:
    def test_related_is_co_purchase_first_and_sellable_only(
        self, sessions: sessionmaker[Session], shop: Shop
    ) -> None:
        with session_scope(sessions) as s:
            related = related_for(s, "MUG-1", 10)
        assert skus(related)[0] == "BEAN-A"
        assert "MUG-2" in skus(related)  # viewed together by the browser
        assert not UNSELLABLE & set(skus(related))
        scores = [p.score or 0.0 for p in related]
        assert scores == sorted(scores, reverse=True)

    def test_alternatives_same_category_near_price(
        self, sessions: sessionmaker[Session], shop: Shop
    ) -> None:
        with session_scope(sessions) as s:
            alternatives = alternatives_for(s, ["BEAN-A"], 10)
        assert set(skus(alternatives)) == {"BEAN-B", "BEAN-D", "BEAN-E"}
        assert skus(alternatives)[-1] == "BEAN-D"  # ¥5,000 against ¥1,600

    def test_alternatives_for_a_cart_skip_its_items(
        self, sessions: sessionmaker[Session], shop: Shop
    ) -> None:
        with session_scope(sessions) as s:
            alternatives = alternatives_for(s, ["BEAN-A", "MUG-1", "BEAN-B"], 10)
            unknown = alternatives_for(s, ["NOPE"], 10)
        assert set(skus(alternatives)) == {"MUG-2", "BEAN-E", "BEAN-D"}
        assert skus(alternatives)[0] == "BEAN-E"
        assert unknown == []


class TestGift:
    def test_most_bought_then_for_you(self, sessions: sessionmaker[Session], shop: Shop) -> None:
        with session_scope(sessions) as s:
            target = gift_for(s, shop.ids["target"])
            browser = gift_for(s, shop.ids["browser"])
            unknown = gift_for(s, 10**9)
        assert (target.sku, target.reason) == ("BEAN-A", "most_bought")  # type: ignore[union-attr]
        assert (browser.sku, browser.reason) == ("MUG-1", "for_you")  # type: ignore[union-attr]
        assert unknown is None


class TestFreshness:
    def test_stock_changes_apply_without_a_rebuild(
        self, sessions: sessionmaker[Session], shop: Shop
    ) -> None:
        with session_scope(sessions) as s:
            s.execute(
                update(Product).where(Product.sku == "BEAN-A").values(stock_status="out_of_stock")
            )
        forget_stock()
        with session_scope(sessions) as s:
            assert "BEAN-A" not in skus(related_for(s, "MUG-1", 10))
            assert "BEAN-A" not in skus(for_you(s, shop.ids["target"], 10))
            gift = gift_for(s, shop.ids["target"])
        assert gift is not None and gift.reason == "for_you" and gift.sku != "BEAN-A"

    def test_each_read_is_one_statement(self, sessions: sessionmaker[Session], shop: Shop) -> None:
        statements: list[str] = []
        with session_scope(sessions) as s:
            for_you(s, shop.ids["target"])  # warms the stock cache
            engine = s.get_bind()

            def seen(*args: object) -> None:
                statements.append(str(args[2]))

            event.listen(engine, "before_cursor_execute", seen)
            try:
                for read in (
                    lambda: for_you(s, shop.ids["target"], 10),
                    lambda: related_for(s, "MUG-1", 10),
                    lambda: alternatives_for(s, ["BEAN-A", "MUG-1"], 10),
                    lambda: gift_for(s, shop.ids["target"]),
                ):
                    statements.clear()
                    read()
                    assert len(statements) == 1, statements
            finally:
                event.remove(engine, "before_cursor_execute", seen)

    def test_merge_drops_the_merged_customers_lists(
        self, sessions: sessionmaker[Session], shop: Shop
    ) -> None:
        with session_scope(sessions) as s:
            do_merge(s, shop.ids["target"], shop.ids["regular-0"], actor="test")
        with session_scope(sessions) as s:
            assert s.get(RecommendCustomer, shop.ids["regular-0"]) is None
            assert s.get(RecommendCustomer, shop.ids["target"]) is not None


class TestContent:
    def publish(self, s: Session) -> None:
        doc = SlotContent(
            slot="home-hero",
            rules=[
                ContentRule(
                    audience=Audience(member=True, stages=["gold"]),
                    block=Block(key="gold", title="ゴールド会員さまへ"),
                ),
                ContentRule(audience=Audience(member=True), block=Block(key="member")),
            ],
            default=Block(key="join", title="会員登録で500ポイント"),
        )
        do_publish_content(s, doc, author="marketer@example.jp", note="autumn")

    def test_block_by_member_stage_and_default(
        self, sessions: sessionmaker[Session], shop: Shop
    ) -> None:
        with session_scope(sessions) as s:
            self.publish(s)
        with session_scope(sessions) as s:
            assert content_block(s, "home-hero", shop.ids["target"]).key == "gold"  # type: ignore[union-attr]
            assert content_block(s, "home-hero", shop.ids["regular-0"]).key == "member"  # type: ignore[union-attr]
            assert content_block(s, "home-hero", shop.ids["guest"]).key == "join"  # type: ignore[union-attr]
            assert content_block(s, "home-hero", None).key == "join"  # type: ignore[union-attr]
            assert content_block(s, "home-hero", 10**9).key == "join"  # type: ignore[union-attr]
            assert content_block(s, "nowhere", None) is None

    def test_publishing_again_makes_a_new_version(
        self, sessions: sessionmaker[Session], shop: Shop
    ) -> None:
        with session_scope(sessions) as s:
            self.publish(s)
            do_publish_content(
                s, SlotContent(slot="home-hero", default=Block(key="sale")), author="boss"
            )
        with session_scope(sessions) as s:
            history = content_history(s, "home-hero")
            assert [(v.version, v.author) for v in history] == [
                (2, "boss"),
                (1, "marketer@example.jp"),
            ]
            assert content_block(s, "home-hero", shop.ids["target"]).key == "sale"  # type: ignore[union-attr]


def test_build_on_an_empty_shop_writes_nothing(sessions: sessionmaker[Session]) -> None:
    with session_scope(sessions) as s:
        report = build_all(s)
    assert (report.customers, report.products, report.popular_lists) == (0, 0, 1)
    with session_scope(sessions) as s:
        assert for_you(s, 1) == [] and related_for(s, "X") == [] and gift_for(s, 1) is None


def test_evaluate_splits_the_record_at_the_cutoff(
    sessions: sessionmaker[Session], shop: Shop
) -> None:
    # regulars' third orders (days 60-89) fall after 2026-03-06 (START + 60 days)
    with session_scope(sessions) as s:
        report = evaluate(s, date(2026, 3, 6), k=3)
    assert report.score("popularity").customers == REGULARS
    # every list has BEAN-A, bought again by all; 8 of them also bought BEAN-E for the first time
    assert report.score("for_you").precision == round(1 / 3, 4)
    assert report.score("for_you").recall == round((22 + 8 * 0.5) / 30, 4)
    assert report.cold == []
    with session_scope(sessions) as s:
        run = latest_run(s, "evaluate")
        assert run is not None and run.report["cutoff"] == "2026-03-06"
