"""``kizuna journeys``, ``kizuna campaign send`` and ``kizuna uplift`` through Typer's runner,
over a real record on SQLite and PostgreSQL: exit codes, text, ``--json``."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner, Result

from kizuna.automation import uplift
from kizuna.automation.journeys import service
from kizuna.channels.models import OutboxMessage
from kizuna.cli import app
from kizuna.kit import queue
from kizuna.kit.bulk import Bulk
from kizuna.kit.db import make_engine, make_sessionmaker, session_scope
from kizuna.settings import get_settings
from tests.integration.channels.helpers import add_customers

START = datetime(2024, 4, 1, 0, 0, tzinfo=UTC)


@pytest.fixture
def database(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """``KIZUNA_DATABASE_URL`` set to a fresh record; the queue kept in memory."""
    monkeypatch.setenv("KIZUNA_DATABASE_URL", db_url)
    get_settings.cache_clear()
    queue.configure("memory://")
    yield db_url
    get_settings.cache_clear()


def unit_of_work(url: str) -> Iterator[Session]:
    engine = make_engine(url)
    try:
        with session_scope(make_sessionmaker(engine)) as session:
            yield session
    finally:
        engine.dispose()


def kizuna(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(arg) for arg in args])


def simulate(session: Session, key: str, customers: int, lift: float) -> None:
    """``customers`` entered journey ``key`` (30 % held out); 10 % base conversion + ``lift``."""
    ids = add_customers(session, customers)
    arms = uplift.assign(session, f"journey:{key}", ids, holdout_share=0.3, at=START)
    rng, rows = random.Random(5), []
    for n, cid in enumerate(ids):
        if rng.random() < 0.10 + (lift if arms[cid] == "treatment" else 0.0):
            rows.append((f"S{n}", cid, 4000, START + timedelta(days=rng.uniform(0, 6.5))))
    bulk = Bulk(session)
    bulk.executemany(
        "INSERT INTO orders (order_number, customer_id, total, placed_at, channel, status, "
        "currency, subtotal, discount, shipping_fee, points_used, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, 'online', 'placed', 'JPY', 0, 0, 0, 0, ?, ?)",
        [(o, c, t, bulk.time(at), bulk.time(START), bulk.time(START)) for o, c, t, at in rows],
    )


class TestJourneys:
    def test_install_list_and_switch(self, database: str) -> None:
        # given the ready-made journeys installed from the CLI
        installed = kizuna("journeys", "install", "--json")
        assert installed.exit_code == 0, installed.output
        assert "welcome" in json.loads(installed.stdout)["installed"]
        # when one is switched on
        on = kizuna("journeys", "enable", "welcome")
        assert (on.exit_code, on.stdout) == (0, "welcome: on (初回購入のお礼)\n")
        # then the list says so, in text and JSON
        listed = kizuna("journeys", "list", "--json")
        lines = {line["key"]: line for line in json.loads(listed.stdout)}
        assert lines["welcome"]["enabled"] is True
        assert lines["birthday"]["enabled"] is False
        assert lines["welcome"]["uplift"]["verdict"] == "sample_too_small"
        text = kizuna("journeys", "list").stdout.splitlines()
        assert text[0].split()[:6] == ["key", "on", "enrolled", "sends", "conv.", "uplift"]
        welcome = next(line for line in text if line.startswith("welcome "))
        assert welcome.split()[:5] == ["welcome", "on", "0", "0", "0"]
        assert kizuna("journeys", "disable", "welcome").stdout == "welcome: off (初回購入のお礼)\n"

    def test_unknown_journey_exits_2_naming_it(self, database: str) -> None:
        result = kizuna("journeys", "enable", "nope", "--json")
        assert result.exit_code == 2
        assert json.loads(result.stdout)["error"]["message"] == "there is no journey 'nope'"


class TestUplift:
    def test_a_real_effect_is_reported_with_its_interval(self, database: str) -> None:
        # given 600 customers in the welcome journey, +15 points of conversion when treated
        for session in unit_of_work(database):
            service.install_presets(session, actor="test")
            simulate(session, "welcome", 600, lift=0.15)
        # when the uplift is asked for over 7 days
        result = kizuna("uplift", "welcome", "--days", "7", "--json")
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        # then the interval excludes zero and covers the simulated effect
        conv = report["conversion_uplift"]
        assert 0 < conv["low"] < 0.15 < conv["high"]
        assert report["verdict"] == "uplift" and report["conversion_significant"] is True
        assert report["treatment"]["customers"] + report["holdout"]["customers"] == 600
        text = kizuna("uplift", "welcome", "--days", "7").stdout
        assert "conversion: +" in text and "(95% CI +" in text
        assert "verdict: uplift: the messages raised conversion" in text

    def test_a_small_sample_is_said_plainly(self, database: str) -> None:
        for session in unit_of_work(database):
            service.install_presets(session, actor="test")
            simulate(session, "birthday", 20, lift=0.3)
        text = kizuna("uplift", "birthday").stdout
        assert "sample too small:" in text
        assert "verdict:" not in text

    def test_unknown_journey_and_bad_window_exit_2(self, database: str) -> None:
        assert kizuna("uplift", "nope").exit_code == 2
        bad = kizuna("uplift", "welcome", "--days", "0")
        assert bad.exit_code == 2 and "--days must be at least 1" in bad.output


CAMPAIGN = """
key = "autumn"
name = "秋の新商品"
template = "newsletter"
channel = "email"
customer_ids = [{ids}]
holdout_share = 0.2

[i18n.ja]
headline = "秋の新商品のご案内"

[[variants]]
name = "A"
[variants.i18n.ja]
headline = "秋の新作、入荷しました"

[[variants]]
name = "B"
"""


class TestCampaignSend:
    def test_dry_run_counts_and_stores_nothing(self, database: str, tmp_path: Path) -> None:
        for session in unit_of_work(database):
            ids = add_customers(session, 50)
        path = tmp_path / "autumn.toml"
        path.write_text(CAMPAIGN.format(ids=", ".join(map(str, ids))), encoding="utf-8")
        result = kizuna("campaign", "send", path, "--dry-run", "--json")
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert (data["audience"], data["by_rank"], data["variants"]) == (50, {"-": 50}, ["A", "B"])
        for session in unit_of_work(database):
            assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0

    def test_send_records_and_enqueues_once(self, database: str, tmp_path: Path) -> None:
        # given a campaign document for 50 customers with A/B variants and a 20 % holdout
        for session in unit_of_work(database):
            ids = add_customers(session, 50)
        path = tmp_path / "autumn.toml"
        path.write_text(CAMPAIGN.format(ids=", ".join(map(str, ids))), encoding="utf-8")
        # when it is sent twice
        first = kizuna("campaign", "send", path, "--json")
        again = kizuna("campaign", "send", path)
        # then the outbox has one message per treated customer, the queue was rung, and the
        # second send is refused
        assert first.exit_code == 0, first.output
        data = json.loads(first.stdout)
        assert data["status"] == "sent" and data["audience"] == 50
        assert data["pending"] + data["holdout"] == 50 and data["holdout"] > 0
        assert queue.get_huey().pending_count() >= 1
        for session in unit_of_work(database):
            recorded = session.scalar(select(func.count()).select_from(OutboxMessage))
        assert recorded == data["pending"]
        assert again.exit_code == 2
        assert "campaign 'autumn' is already sent" in again.output
        results = kizuna("campaign", "results", "autumn")
        assert results.exit_code == 0, results.output
        assert results.stdout.startswith("autumn (sent): audience 50, pending")
        assert "A/B: no winner yet: A vs B: sample too small" in results.stdout
        assert kizuna("campaign", "results", "nope").exit_code == 2

    @pytest.mark.parametrize(
        ("text", "message"),
        [
            pytest.param('key = "Bad Key"\nname = "x"', "key: String should match", id="bad-key"),
            pytest.param('key = "k"', "name: Field required", id="missing-name"),
            pytest.param(
                'key = "k"\nname = "x"\nholdout_share = 2', "holdout_share: Input should be less",
                id="holdout-out-of-range",
            ),
            pytest.param(
                'key = "k"\nname = "x"\n[[variants]]\nname = "a b"',
                "variants.0.name: String should match",
                id="bad-variant-name",
            ),
            pytest.param('key = "k"\nname = ', "is not valid TOML", id="broken-toml"),
        ],
    )  # fmt: skip
    def test_invalid_documents_exit_2_naming_the_field(
        self, database: str, tmp_path: Path, text: str, message: str
    ) -> None:
        path = tmp_path / "c.toml"
        path.write_text(text, encoding="utf-8")
        result = kizuna("campaign", "send", path)
        assert result.exit_code == 2
        assert message in result.output

    def test_json_errors_carry_the_field(self, database: str, tmp_path: Path) -> None:
        path = tmp_path / "c.json"
        path.write_text(json.dumps({"key": "k", "name": "x", "conversion_days": 0}))
        result = kizuna("campaign", "send", path, "--json")
        assert result.exit_code == 2
        assert json.loads(result.stdout)["error"]["field"] == "conversion_days"
        missing = kizuna("campaign", "send", tmp_path / "nope.toml")
        assert missing.exit_code == 2 and "no such file" in missing.output
