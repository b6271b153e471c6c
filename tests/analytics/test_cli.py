"""The analytics commands (``kizuna ranks | migration | segment count | snapshot``) on a small
shop in a real SQLite record, through Typer's CliRunner."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from kizuna.analytics.models import SnapshotRun
from kizuna.analytics.queries import forget
from kizuna.cli import app
from kizuna.kit.db import make_engine, make_sessionmaker, session_scope
from kizuna.settings import get_settings
from tests.analytics.factories import AS_OF, ago, customers, order, orders

runner = CliRunner()


@pytest.fixture
def shop(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """LOYAL: 4 purchase days worth ¥60,000 in the year; NEW: bought 10 days ago; LEAD: none."""
    engine = make_engine(sqlite_url)
    with session_scope(make_sessionmaker(engine)) as s:
        customers(s, "LOYAL", "NEW", "LEAD")
        orders(s, [order(f"L-{n}", "LOYAL", ago(20 + 60 * n), 15_000) for n in range(4)])
        orders(s, [order("N-1", "NEW", ago(10), 5_000)])
    engine.dispose()
    monkeypatch.setenv("KIZUNA_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("KIZUNA_DEFAULT_LANGUAGE", "en")
    get_settings.cache_clear()
    yield sqlite_url
    forget(sqlite_url)
    get_settings.cache_clear()


def run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_ranks_prints_the_distribution(shop: str) -> None:
    code, out = run("ranks", "--as-of", AS_OF.isoformat(), "--json")
    assert code == 0, out
    ranks = {r["rank"]: r for r in json.loads(out)["ranks"]}
    assert (ranks["loyal"]["customers"], ranks["new"]["customers"]) == (1, 1)
    assert ranks["lead"]["customers"] == 1
    assert ranks["loyal"]["spend_12m"] == 60_000
    assert ranks["loyal"]["revenue_share"] == pytest.approx(60_000 / 65_000)
    code, text = run("ranks", "--as-of", AS_OF.isoformat())
    assert code == 0 and "Loyal" in text and "60,000" in text


def test_ranks_labels_follow_the_language(shop: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIZUNA_DEFAULT_LANGUAGE", "ja")
    get_settings.cache_clear()
    code, text = run("ranks", "--as-of", AS_OF.isoformat())
    assert code == 0 and "優良" in text and "ランク" in text


def test_a_bad_date_exits_2(shop: str) -> None:
    code, out = run("ranks", "--as-of", "2024-13-01", "--json")
    assert code == 2
    assert json.loads(out)["error"]["field"] == "as_of"


def test_snapshot_is_idempotent_per_day_and_migration_reads_it(shop: str) -> None:
    # given a snapshot 60 days before AS_OF, taken twice
    early = "2024-05-01"
    assert run("snapshot", "--as-of", early, "--json")[0] == 0
    code, out = run("snapshot", "--as-of", early, "--json")
    assert code == 0 and json.loads(out)["replaced_run"] is True
    # and one at AS_OF
    code, out = run("snapshot", "--as-of", AS_OF.isoformat(), "--json")
    assert code == 0 and json.loads(out)["customers"] == 3
    engine = make_engine(shop)
    with session_scope(make_sessionmaker(engine)) as s:
        assert s.scalar(select(func.count()).select_from(SnapshotRun)) == 2
    engine.dispose()
    # a day before the latest snapshot is refused
    assert run("snapshot", "--as-of", "2024-06-01")[0] == 2
    # then the migration between them comes from the snapshots: NEW was a lead at the start,
    # LOYAL had three purchase days (¥45,000: repeat) and reached loyal with the fourth
    code, out = run("migration", "--from", early, "--to", AS_OF.isoformat(), "--json")
    assert code == 0, out
    data = json.loads(out)
    assert data["source"] == "snapshots"
    cells = {(c["from_rank"], c["to_rank"]): c for c in data["cells"]}
    assert cells[("lead", "new")]["customers"] == 1
    assert cells[("lead", "new")]["revenue"] == 5_000
    assert cells[("lead", "new")]["direction"] == "up"
    assert (cells[("repeat", "loyal")]["customers"], cells[("repeat", "loyal")]["revenue"]) == (
        1,
        15_000,
    )
    assert cells[("lead", "lead")]["customers"] == 1


def test_migration_recomputes_before_any_snapshot(shop: str) -> None:
    code, out = run("migration", "--from", "2024-05-01", "--to", AS_OF.isoformat(), "--json")
    assert code == 0 and json.loads(out)["source"] == "recompute"
    code, out = run(
        "migration", "--from", "2024-05-01", "--to", AS_OF.isoformat(), "--source", "snapshots"
    )
    assert code == 2 and "snapshot" in out
    code, text = run("migration", "--from", "2024-05-01", "--to", AS_OF.isoformat())
    assert code == 0 and "lead → new" in text.replace("  ", " ").replace("  ", " ").strip()


def test_segment_count_counts_and_samples(shop: str, tmp_path: Path) -> None:
    doc = tmp_path / "big.json"
    where = {"type": "field", "field": "spend_12m", "min": 10_000}
    doc.write_text(json.dumps({"name": "Big spenders", "where": where}))
    code, out = run("segment", "count", str(doc), "--as-of", AS_OF.isoformat(), "--json")
    assert code == 0, out
    data = json.loads(out)
    assert (data["members"], data["customers"], data["by_rank"]) == (1, 3, {"loyal": 1})
    assert data["sample"][0]["spend_12m"] == 60_000
    code, text = run("segment", "count", str(doc), "--as-of", AS_OF.isoformat())
    assert code == 0 and "Big spenders" in text and "1 of 3" in text


@pytest.mark.parametrize(
    ("content", "field"),
    [
        pytest.param('{"name": "x", "where": {"type": "wealth"}}', "where", id="unknown-type"),
        pytest.param(
            '{"name": "x", "where": {"type": "field", "field": "shoe_size"}}',
            "where.field.field",
            id="unknown-field",
        ),
        pytest.param("{not json", "file", id="not-json"),
    ],
)
def test_segment_count_names_the_bad_field(
    shop: str, tmp_path: Path, content: str, field: str
) -> None:
    doc = tmp_path / "bad.json"
    doc.write_text(content)
    code, out = run("segment", "count", str(doc), "--json")
    assert code == 2
    assert json.loads(out)["error"]["field"] == field
