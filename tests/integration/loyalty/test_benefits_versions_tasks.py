"""Benefits (birthday gift, early access, monthly cost per stage), programme versions, the
nightly jobs and the migration on a fresh database."""

from __future__ import annotations

from datetime import date

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session, sessionmaker

from kizuna.catalog.models import Product
from kizuna.db_registry import Base
from kizuna.kit.db import make_engine, session_scope
from kizuna.loyalty.benefits import (
    benefits_for,
    birthday_gift,
    can_buy_early,
    monthly_benefit_cost,
)
from kizuna.loyalty.errors import ProgrammeInvalid
from kizuna.loyalty.ledger import post
from kizuna.loyalty.ledger.balance import verify_ledger
from kizuna.loyalty.ledger.models import PointEntry
from kizuna.loyalty.programme import default_programme
from kizuna.loyalty.stage_eval import evaluate_all_stages
from kizuna.loyalty.stages import evaluate_stage
from kizuna.loyalty.tasks import evaluate_stages, expire_points
from kizuna.loyalty.versions import active_programme, do_publish_programme, programme_history
from kizuna.orders.schemas import LineIn

from .factories import T0, days, member, order

LOYALTY_TABLES = {
    "loyalty_programmes",
    "loyalty_accounts",
    "stage_changes",
    "point_entries",
    "point_lots",
    "point_movements",
    "point_holds",
    "coupon_templates",
    "coupons",
    "coupon_redemptions",
}


class TestBenefits:
    def test_birthday_gift_is_the_product_bought_most(self, session: Session) -> None:
        cid = member(session, birth_date=date(1990, 6, 15))
        beans, mug = LineIn("BEAN", 3, 1800, 5400), LineIn("MUG", 1, 60_000, 60_000)
        order(session, "M1", "A-1", 0, at=T0, lines=(beans, mug))
        order(session, "M1", "A-2", 0, at=T0 + days(1), lines=(LineIn("BEAN", 2, 1800, 3600),))
        evaluate_stage(session, cid, at=T0 + days(1))
        gift = birthday_gift(session, cid, at=T0 + days(2))
        assert gift is not None and (gift.sku, gift.value_yen) == ("BEAN", 1000)  # Gold gift

    def test_early_access_before_launch_by_stage(self, session: Session) -> None:
        gold, silver = member(session, "G"), member(session, "S")
        order(session, "G", "A-1", 60_000, at=T0)
        evaluate_stage(session, gold, at=T0)
        session.add(Product(sku="NEW", name="新商品", launch_date=date(2026, 5, 20)))
        session.flush()
        assert can_buy_early(session, gold, "NEW", at=T0 + days(7))  # 2026-05-17: 3 days early
        assert not can_buy_early(session, silver, "NEW", at=T0 + days(7))
        assert can_buy_early(session, silver, "NEW", at=T0 + days(10))

    def test_benefits_are_listed_in_both_languages(self, session: Session) -> None:
        cid = member(session)
        order(session, "M1", "A-1", 160_000, at=T0)
        evaluate_stage(session, cid, at=T0)
        views = benefits_for(session, cid, at=T0)
        assert views[0].label == {"ja": "会員割引 5.0%", "en": "5.0% member discount"}
        assert [v.type for v in views][:3] == ["discount", "free_shipping", "priority_shipping"]

    def test_monthly_cost_of_each_benefit_by_stage(self, session: Session) -> None:
        for n, amount in enumerate([60_000, 160_000]):
            cid = member(session, f"M{n}", birth_date=date(1980, 5, 1))
            order(session, f"M{n}", f"A-{n}", amount, at=T0)
            evaluate_stage(session, cid, at=T0)
        costs = {
            (c.stage, c.type): c.cost_yen for c in monthly_benefit_cost(session, date(2026, 5, 1))
        }
        assert costs[("gold", "discount")] == 1_800  # 3% of ¥60,000
        assert costs[("gold", "free_shipping")] == 600
        assert costs[("platinum", "discount")] == 8_000
        assert costs[("platinum", "birthday_gift")] == 3_000
        assert costs[("platinum", "dedicated_support")] == 200
        assert costs[("silver", "birthday_gift")] == 0


class TestVersions:
    def test_the_version_in_force_depends_on_the_effective_date(self, session: Session) -> None:
        assert active_programme(session, T0).version == 0  # the shipped default
        richer = default_programme().model_copy(update={"name": "春の改定"})
        published = do_publish_programme(
            session, richer, author="tanaka", effective_from=date(2026, 6, 1), note="spring"
        )
        assert published.version == 1
        assert active_programme(session, T0).version == 0
        assert active_programme(session, T0 + days(30)).name == "春の改定"
        assert [(v.version, v.author, v.note) for v in programme_history(session)] == [
            (1, "tanaka", "spring")
        ]

    def test_publishing_needs_an_author(self, session: Session) -> None:
        with pytest.raises(ProgrammeInvalid) as err:
            do_publish_programme(session, default_programme(), author=" ")
        assert err.value.field == "author"


class TestJobs:
    def test_nightly_expiry_matches_the_per_customer_sweep(
        self, sessions: sessionmaker[Session]
    ) -> None:
        with session_scope(sessions) as session:
            ids = [member(session, f"M{n}") for n in range(5)]
            for n, cid in enumerate(ids):
                post.do_earn(session, cid, 100 + n, key=f"e{n}", reason="survey", at=T0)
                post.do_earn(session, cid, 7, key=f"l{n}", reason="survey", at=T0 + days(60))
            post.do_redeem(session, ids[0], 50, key="r", at=T0)
            hold = post.do_hold(session, ids[1], 30, key="h", at=T0)
        when = T0 + days(400)
        run = expire_points(sessions, at=when, batch=2)
        assert (run.customers, run.lots, run.points, run.holds_released) == (5, 5, 460, 1)
        assert expire_points(sessions, at=when).lots == 0
        with session_scope(sessions) as session:
            assert verify_ledger(session) == []
            kinds = session.scalars(
                select(PointEntry.kind).where(PointEntry.hold_id == hold.hold_id)
            ).all()
            assert kinds == ["release"]
            assert post.do_redeem(session, ids[2], 7, key="x", at=when).balance == 0

    def test_monthly_evaluation_job(self, sessions: sessionmaker[Session]) -> None:
        with session_scope(sessions) as session:
            member(session)
            order(session, "M1", "A-1", 60_000, at=T0)
        run = evaluate_stages(sessions, at=T0 + days(1))
        assert (run.members, run.joined) == (1, 1)
        with session_scope(sessions) as session:
            assert evaluate_all_stages(session, at=T0 + days(2)).joined == 0


def test_the_migration_creates_exactly_the_modelled_tables(db_url: str) -> None:
    engine = make_engine(db_url)
    with engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) >= LOYALTY_TABLES
        diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    ours = [d for d in diffs if _table_of(d) in LOYALTY_TABLES]
    assert ours == []


def _table_of(diff: object) -> str | None:
    item = diff[0] if isinstance(diff, list) else diff
    for part in item[1:] if isinstance(item, tuple) else ():
        name = getattr(part, "name", None)
        table = getattr(part, "table", None)
        if table is not None and getattr(table, "name", None):
            return table.name
        if isinstance(part, str) and part in LOYALTY_TABLES:
            return part
        if name in LOYALTY_TABLES:
            return name
    return None


class TestQueries:
    def test_loyalty_status_for_the_storefront_and_the_cli(self, session: Session) -> None:
        from kizuna.loyalty.queries import loyalty_status, stage_distribution, stage_movements

        cid = member(session)
        oid = order(session, "M1", "A-1", 46_800, at=T0)
        post.do_earn_for_order(session, oid, at=T0)
        evaluate_stage(session, cid, at=T0, order_id=oid)
        status = loyalty_status(session, cid, at=T0 + days(1))
        data = status.as_dict()
        assert data["stage"]["message"]["en"] == "¥3,200 more to Gold by 2027-03-31"
        assert data["points"]["points"] == 936  # 1% ×2 on the 10th
        assert status.lines("en")[:3] == [
            "Silver (silver)",
            "¥3,200 more to Gold by 2027-03-31",
            "points: 936 (held 0, debt 0)",
        ]
        assert stage_distribution(session) == {"silver": 1}
        assert stage_movements(session, T0 - days(1), T0 + days(1)) == [
            {"from": None, "to": "silver", "reason": "joined", "members": 1}
        ]
