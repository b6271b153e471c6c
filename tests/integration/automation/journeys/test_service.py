"""Journey service functions (what the dashboard, the API and the CLI call), the migration, and
the segment_entered trigger (analytics engine over the committed record)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session, sessionmaker

from kizuna.automation.journeys import runner, service
from kizuna.automation.journeys.enrol import scan_journey
from kizuna.automation.journeys.hooks import on_order_recorded
from kizuna.automation.journeys.models import JourneyChange
from kizuna.automation.journeys.presets import names
from kizuna.automation.journeys.store import do_publish, load
from kizuna.db_registry import Base
from kizuna.kit.db import make_engine, session_scope
from kizuna.kit.errors import NotFound
from kizuna.loyalty.models import CouponTemplate

from .factories import NOON, add_customers, add_order, days, switch_on

JOURNEY_TABLES = {
    "journeys",
    "journey_versions",
    "journey_changes",
    "journey_enrolments",
    "journey_progress",
    "journey_segment_members",
    "campaigns",
    "staff_notifications",
}


class TestPresetsAndSwitch:
    def test_install_presets_once_switched_off_with_their_coupons(self, session: Session) -> None:
        first = service.install_presets(session, actor="owner@shop")
        again = service.install_presets(session, actor="owner@shop")
        assert first == {"installed": names(), "coupon_templates": ["BIRTHDAY", "WINBACK"]}
        assert again == {"installed": [], "coupon_templates": []}
        assert not any(line["enabled"] for line in service.list_journeys(session, measure=False))
        assert session.scalars(select(CouponTemplate.code).order_by(CouponTemplate.code)).all() == [
            "BIRTHDAY",
            "WINBACK",
        ]

    def test_switching_on_and_off_is_audited(self, session: Session) -> None:
        service.install_presets(session, actor="owner@shop")
        line = service.set_journey_enabled(session, "welcome", True, actor="marketer@shop")
        service.set_journey_enabled(session, "welcome", True, actor="marketer@shop")  # no-op
        service.set_journey_enabled(session, "welcome", False, actor="owner@shop")
        assert (line["key"], line["enabled"], line["trigger_label"]) == (
            "welcome",
            True,
            "A customer places their first order",
        )
        audit = session.execute(
            select(JourneyChange.action, JourneyChange.actor)
            .where(JourneyChange.key == "welcome")
            .order_by(JourneyChange.id)
        ).all()
        assert [tuple(a) for a in audit] == [
            ("publish", "owner@shop"),
            ("enable", "marketer@shop"),
            ("disable", "owner@shop"),
        ]
        with pytest.raises(NotFound, match="no journey 'nope'"):
            service.set_journey_enabled(session, "nope", True, actor="x")

    def test_publish_validates_the_document(self, session: Session) -> None:
        bad: dict[str, Any] = {
            "key": "bad",
            "name": "bad",
            "trigger": {"type": "order_placed"},
            "steps": [
                {"type": "exit", "id": "end"},
                {
                    "type": "condition",
                    "id": "c",
                    "condition": {"type": "is_member"},
                    "otherwise": "end",
                },
            ],
        }
        with pytest.raises(ValueError, match="goes back to 'end'; jumps only go forward"):
            service.publish_journey(session, bad, actor="x")


class TestReports:
    def test_list_and_detail_show_funnel_sends_and_uplift(self, session: Session) -> None:
        # given the welcome journey with the default 10 % holdout and 80 first orders
        ids = add_customers(session, 80)
        switch_on(session, "welcome")
        for cid in ids:
            on_order_recorded(session, add_order(session, cid, NOON).id, at=NOON)
        runner.tick(session, at=NOON + days(14))
        # when the dashboard asks
        [line] = [j for j in service.list_journeys(session) if j["key"] == "welcome"]
        detail = service.journey_detail(session, "welcome")
        report = service.uplift_report(session, "welcome")
        # then the list, the funnel and the uplift agree
        held = detail["exits"].get("holdout", 0)
        assert 1 <= held <= 20
        assert (line["enabled"], line["enrolled"], line["sends"]) == (True, 80, 2 * (80 - held))
        assert [s["id"] for s in detail["steps"]] == [
            "thanks",
            "two_weeks",
            "not_yet_again",
            "recommend",
        ]
        assert detail["steps"][0] == {
            "id": "thanks",
            "type": "action",
            "label": "Send welcome by the preferred channel",
            "reached": 80 - held,
            "outcomes": {"queued": 80 - held},
        }
        assert detail["steps"][2]["outcomes"] == {"yes": 80 - held}
        assert report["holdout"]["customers"] == held
        assert report["treatment"]["customers"] == 80 - held
        assert report["verdict"] == "sample_too_small"
        assert line["uplift"]["verdict"] == "sample_too_small"


def test_the_migration_creates_exactly_the_modelled_tables(db_url: str) -> None:
    engine = make_engine(db_url)
    with engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) >= JOURNEY_TABLES
        diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()
    ours = [d for d in diffs if any(re.search(rf"\b{t}\b", str(d)) for t in JOURNEY_TABLES)]
    assert ours == []


def test_segment_entered_enrols_newcomers_after_a_silent_first_scan(
    sessions: sessionmaker[Session],
) -> None:
    """The segment is read by the analytics engine over the committed record."""
    with session_scope(sessions) as session:
        early, late = add_customers(session, 2)
        add_order(session, early, NOON - days(2))
        do_publish(
            session,
            {
                "key": "buyers",
                "name": "buyers",
                "enabled": True,
                "trigger": {
                    "type": "segment_entered",
                    "params": {
                        "definition": {
                            "name": "buyers",
                            "where": {"type": "field", "field": "orders", "min": 1},
                        }
                    },
                },
                "steps": [{"type": "action", "id": "note", "action": "notify_staff"}],
            },
            actor="test",
        )
    with session_scope(sessions) as session:
        first, enrolled = scan_journey(session, load(session, "buyers"), at=NOON)
        assert (first.entries, enrolled) == ([], 0)
        assert first.note.startswith("first scan: 1 customers already in the segment")
        add_order(session, late, NOON)
    with session_scope(sessions) as session:
        later = datetime(2024, 6, 4, 5, 0, tzinfo=UTC)
        second, enrolled = scan_journey(session, load(session, "buyers"), at=later)
        assert ([e.customer_id for e in second.entries], enrolled) == ([late], 1)
