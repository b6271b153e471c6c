"""Shared fixtures: a fresh, migrated record database per test on SQLite and on PostgreSQL.

``db_url`` is parametrised over both backends (ids ``sqlite`` and ``postgres``); tests that only
need one backend use ``sqlite_url``. PostgreSQL runs on 127.0.0.1:5432 with trust auth (CI starts
it); each test gets its own database cloned from a migrated template.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.orm import Session, sessionmaker

from kizuna.kit.db import make_engine, make_sessionmaker, session_scope
from kizuna.kit.migrate import upgrade

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
PG_ADMIN = os.environ.get("KIZUNA_TEST_PG_ADMIN", "postgresql://postgres@127.0.0.1:5432/postgres")
PG_BASE = PG_ADMIN.rsplit("/", 1)[0]


def shared_file(*parts: str) -> Path:
    """A file under ../shared/data, or skip the test with a clear message when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"needs the shared dataset {path} (../shared/data beside the checkout)")
    return path


def _pg_admin(sql: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    name = f"kizuna_tpl_{uuid.uuid4().hex[:8]}"
    _pg_admin(f'CREATE DATABASE "{name}"')
    engine = make_engine(f"{PG_BASE}/{name}")
    upgrade(engine)
    engine.dispose()
    yield name
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'kizuna.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    template = request.getfixturevalue("pg_template")
    name = f"kizuna_t_{uuid.uuid4().hex[:10]}"
    _pg_admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    yield f"{PG_BASE}/{name}"
    _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest) -> str:
    """A fresh migrated database on each backend."""
    return request.getfixturevalue(f"{request.param}_url")


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    """Session factory over ``db_url``; the engine is disposed after the test."""
    engine = make_engine(db_url)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work, committed at the end of the test."""
    with session_scope(sessions) as s:
        yield s
