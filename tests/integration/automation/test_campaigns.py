"""Campaigns on SQLite and PostgreSQL: content per rank, A/B variants with a winner by
significance, holdout, schedule, preview, a campaign file; and a segment audience read by the
analytics engine (SQLite record, DuckDB)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from kizuna.analytics.models import RankSpell, SnapshotRun
from kizuna.automation import campaigns
from kizuna.automation.models import ExperimentAssignment
from kizuna.channels.models import OutboxMessage
from kizuna.kit.db import session_scope
from kizuna.kit.errors import Conflict
from tests.integration.automation.journeys.factories import NOON, add_customers, add_order, days

ITEMS = [{"name": "有田焼 茶碗", "price": "¥3,200", "url": "https://shop.example.jp/p/1"}]


def _doc(customer_ids: list[int], **changes: Any) -> dict[str, Any]:
    return {
        "key": "summer",
        "name": "夏のセール",
        "customer_ids": customer_ids,
        "template": "newsletter",
        "context": {"items": ITEMS},
        "i18n": {"ja": {"headline": "夏のセール"}, "en": {"headline": "Summer sale"}},
        "by_rank": [
            {
                "ranks": ["dormant"],
                "template": "dormant_offer",
                "i18n": {"ja": {"offer": "20%オフ"}},
            },
            {"ranks": ["best"], "i18n": {"ja": {"headline": "新ブランドを先行でご案内"}}},
        ],
        **changes,
    }


def _ranks(session: Session, ranks: dict[int, str]) -> None:
    run = SnapshotRun(
        as_of=date(2024, 6, 2), policy_name="default", policy_version=1, engine="duckdb"
    )
    session.add(run)
    session.flush()
    session.add_all(
        RankSpell(customer_id=c, rank=r, valid_from=date(2024, 6, 2), run_id=run.id)
        for c, r in ranks.items()
    )
    session.flush()


def _sent(session: Session) -> dict[int, OutboxMessage]:
    return {m.customer_id: m for m in session.scalars(select(OutboxMessage))}


class TestSend:
    def test_content_per_rank_holdout_and_idempotent_send(self, session: Session) -> None:
        # given 100 customers: some dormant, some best, the rest without a rank
        ids = add_customers(session, 100)
        _ranks(session, {**{c: "dormant" for c in ids[:30]}, **{c: "best" for c in ids[30:40]}})
        campaigns.do_create(session, _doc(ids), actor="marketer@shop")
        # when it is sent (twice)
        result = campaigns.send(session, "summer", at=NOON)
        again = campaigns.send(session, "summer", at=NOON + days(1))
        # then everyone outside the holdout got one message, in their rank's content
        sent = _sent(session)
        assert result["audience"] == 100 and result["holdout"] + len(sent) == 100
        assert 1 <= result["holdout"] <= 25 and len(result["pending"]) == len(sent)
        assert again["pending"] == [] and len(_sent(session)) == len(sent)
        templates = {
            c: (m.template, m.context.get("headline"), m.context.get("offer"))
            for c, m in sent.items()
        }
        for cid in ids[:30]:
            assert templates.get(cid, ("dormant_offer", "夏のセール", "20%オフ")) == (
                "dormant_offer",
                "夏のセール",
                "20%オフ",
            )
        for cid in ids[30:40]:
            assert (
                templates.get(cid, (None, "新ブランドを先行でご案内", None))[1]
                == "新ブランドを先行でご案内"
            )
        assert {m.dedupe_key for m in sent.values()} == {f"c:summer:{c}" for c in sent}

    def test_scheduled_campaigns_are_due_at_their_time(self, session: Session) -> None:
        ids = add_customers(session, 3)
        campaigns.do_create(
            session, _doc(ids, scheduled_at=(NOON + days(1)).isoformat()), actor="m"
        )
        assert campaigns.due(session, NOON) == []
        assert campaigns.due(session, NOON + days(1)) == ["summer"]
        campaigns.send(session, "summer", at=NOON + days(1))
        assert campaigns.due(session, NOON + days(2)) == []
        with pytest.raises(Conflict, match="already sent"):
            campaigns.do_create(session, _doc(ids), actor="m")


class TestAbTest:
    def test_variant_a_wins_when_it_converts_significantly_better(self, session: Session) -> None:
        # given an A/B test (A: 20% off, B: free shipping) to 400 customers
        ids = add_customers(session, 400)
        variants = [
            {"name": "A", "i18n": {"ja": {"headline": "全品20%オフ"}}},
            {"name": "B", "i18n": {"ja": {"headline": "送料無料"}}},
        ]
        campaigns.do_create(session, _doc(ids, variants=variants), actor="m")
        campaigns.send(session, "summer", at=NOON)
        # when A's recipients buy more often (every second one) than B's (every tenth)
        assigned = session.execute(
            select(ExperimentAssignment.customer_id, ExperimentAssignment.variant).where(
                ExperimentAssignment.experiment == "campaign:summer",
                ExperimentAssignment.arm == "treatment",
            )
        ).all()
        by_variant: dict[str, list[int]] = {}
        for cid, variant in assigned:
            by_variant.setdefault(variant, []).append(cid)
        for i, cid in enumerate(by_variant["A"]):
            if i % 2 == 0:
                add_order(session, cid, NOON + days(2))
        for i, cid in enumerate(by_variant["B"]):
            if i % 10 == 0:
                add_order(session, cid, NOON + days(2))
        # then A is named the winner, and B's figures are reported
        report = campaigns.results(session, "summer", as_of=NOON + days(8))
        assert sorted(by_variant) == ["A", "B"]
        assert report["winner"]["variant"] == "A"
        assert report["variants"]["B"]["customers"] == len(by_variant["B"])
        assert report["uplift"]["treatment"]["customers"] == len(assigned)
        assert {m.context["headline"] for m in _sent(session).values()} == {
            "全品20%オフ",
            "送料無料",
        }

    def test_no_winner_without_a_significant_difference(self, session: Session) -> None:
        ids = add_customers(session, 60)
        variants = [{"name": "A"}, {"name": "B"}]
        campaigns.do_create(session, _doc(ids, variants=variants), actor="m")
        campaigns.send(session, "summer", at=NOON)
        report = campaigns.results(session, "summer", as_of=NOON + days(8))
        assert report["winner"]["variant"] is None
        assert "sample too small" in report["winner"]["note"]


def test_preview_renders_each_block_in_japanese_and_english(session: Session) -> None:
    doc = _doc(
        [], variants=[{"name": "A"}, {"name": "B", "i18n": {"en": {"headline": "Free shipping"}}}]
    )
    preview = campaigns.preview(session, doc)
    assert sorted(preview["blocks"]) == [
        "base",
        "rank:best",
        "rank:dormant",
        "variant:A",
        "variant:B",
    ]
    assert preview["blocks"]["base"]["ja"]["subject"].endswith("】夏のセール")
    assert preview["blocks"]["variant:B"]["en"]["subject"].endswith("] Free shipping")
    assert preview["blocks"]["rank:dormant"]["en"]["missing"] == ["offer"]
    assert "山田 花子" in preview["blocks"]["base"]["ja"]["text"]


def test_send_file_stores_and_sends_a_toml_campaign(session: Session, tmp_path: Path) -> None:
    ids = add_customers(session, 2)
    path = tmp_path / "summer.toml"
    path.write_text(
        f'key = "toml-sale"\nname = "TOML"\ncustomer_ids = {ids}\nholdout_share = 0.0\n'
        'template = "dormant_offer"\ncontext = { offer = "10%オフ" }\n',
        encoding="utf-8",
    )
    result = campaigns.send_file(session, path, actor="cli", at=NOON)
    assert (result["status"], result["audience"], len(result["pending"])) == ("sent", 2, 2)


def test_a_segment_audience_is_read_by_the_analytics_engine(
    sessions: sessionmaker[Session],
) -> None:
    with session_scope(sessions) as session:
        buyer, _browser = add_customers(session, 2)
        add_order(session, buyer, NOON - timedelta(days=3))
        definition = {"name": "buyers", "where": {"type": "field", "field": "orders", "min": 1}}
        campaigns.do_create(session, _doc([], definition=definition, holdout_share=0.0), actor="m")
    with session_scope(sessions) as session:
        result = campaigns.send(session, "summer", at=NOON)
        assert (result["audience"], list(_sent(session))) == (1, [buyer])
