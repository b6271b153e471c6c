"""Migration 0008 creates exactly the modelled feedback and after-sales tables, on SQLite and
PostgreSQL, and its downgrade removes them."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from kizuna.db_registry import Base
from kizuna.kit.db import make_engine
from kizuna.kit.migrate import MIGRATIONS

TABLES = {
    "surveys",
    "survey_questions",
    "survey_responses",
    "survey_answers",
    "reviews",
    "tickets",
    "ticket_notes",
    "tracking_links",
    "shipment_estimates",
    "return_requests",
    "return_request_lines",
    "warranty_plans",
    "warranty_enrolments",
    "warranty_claims",
}


def _tables_in(diff: object) -> set[str]:
    """Names of our tables a compare_metadata diff touches."""
    items = diff if isinstance(diff, list) else [diff]
    found: set[str] = set()
    for item in items:
        for part in item[1:] if isinstance(item, tuple) else ():
            table = getattr(part, "table", None)
            for name in (getattr(part, "name", None), getattr(table, "name", None), part):
                if isinstance(name, str) and name in TABLES:
                    found.add(name)
    return found


def test_the_migration_matches_the_models_and_downgrades(db_url: str) -> None:
    engine = make_engine(db_url)
    with engine.connect() as connection:
        assert set(inspect(connection).get_table_names()) >= TABLES
        diffs = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert [d for d in diffs if _tables_in(d)] == []
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0008_feedback@-1")
    with engine.connect() as connection:
        assert not set(inspect(connection).get_table_names()) & TABLES
    engine.dispose()
