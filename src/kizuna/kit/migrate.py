"""Bring a database to the latest schema with Alembic (``migrations/`` of the checkout)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"


def upgrade(engine: Engine) -> None:
    """Apply every migration not yet applied to ``engine``'s database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")
