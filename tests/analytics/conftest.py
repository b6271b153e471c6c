"""One analytics suite, parametrised over the engines (Ibis backends) that run it.

``engine`` cases (ids): ``duckdb`` (the embedded default: DuckDB over a SQLite record),
``postgres`` (Ibis PostgreSQL backend, in place), ``duckdb-pg`` (DuckDB reading PostgreSQL
through postgres_scanner) and ``spark`` (PySpark local, record tables copied in through Arrow).

Known gaps are declared with ``@pytest.mark.notimpl(["spark"], reason=...)``: the test runs
and must fail on those engines (strict xfail), so a gap that closes is noticed. The Spark case
is declared not runnable, with the reason, when the ``spark`` extra is not installed.
"""

from __future__ import annotations

import importlib.util
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from ibis.backends import BaseBackend
from sqlalchemy.orm import Session, sessionmaker

from kizuna.analytics.backends import connect
from kizuna.kit.db import make_engine, make_sessionmaker, session_scope
from kizuna.kit.migrate import upgrade
from tests.conftest import PG_BASE, _pg_admin, shared_file

HAS_SPARK = importlib.util.find_spec("pyspark") is not None


@dataclass(frozen=True)
class EngineCase:
    """Which record database a case writes to and which engine reads it."""

    id: str
    record: str  # "sqlite" | "postgres"
    engine: str  # "duckdb" | "postgres" | "spark"


CASES = {
    "duckdb": EngineCase("duckdb", "sqlite", "duckdb"),
    "postgres": EngineCase("postgres", "postgres", "postgres"),
    "duckdb-pg": EngineCase("duckdb-pg", "postgres", "duckdb"),
    "spark": EngineCase("spark", "sqlite", "spark"),
}


def _param(case_id: str) -> object:
    marks: list[pytest.MarkDecorator] = []
    if CASES[case_id].record == "postgres":
        marks.append(pytest.mark.postgres)
    if case_id == "spark" and not HAS_SPARK:
        marks.append(
            pytest.mark.xfail(reason="pyspark (the spark extra) is not installed", run=False)
        )
    return pytest.param(CASES[case_id], id=case_id, marks=marks)


ENGINE_PARAMS = [_param(case_id) for case_id in CASES]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "notimpl(engines, reason): a declared gap of these analytics engines"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        marker = item.get_closest_marker("notimpl")
        callspec = getattr(item, "callspec", None)
        case = callspec.params.get("engine_case") if callspec else None
        if marker and isinstance(case, EngineCase) and case.id in marker.args[0]:
            reason = marker.kwargs.get("reason", "declared gap")
            item.add_marker(pytest.mark.xfail(reason=f"{case.id}: {reason}", strict=True))


@pytest.fixture(params=ENGINE_PARAMS)
def engine_case(request: pytest.FixtureRequest) -> EngineCase:
    """The engine under test and the kind of record it reads."""
    return request.param  # type: ignore[no-any-return]


@pytest.fixture
def record_url(engine_case: EngineCase, request: pytest.FixtureRequest) -> str:
    """A fresh migrated record database of the case's kind."""
    return str(request.getfixturevalue(f"{engine_case.record}_url"))


@pytest.fixture
def record(record_url: str) -> Iterator[sessionmaker[Session]]:
    """Session factory over ``record_url`` for arranging data."""
    engine = make_engine(record_url)
    yield make_sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def analytics(record_url: str, engine_case: EngineCase) -> Callable[[], BaseBackend]:
    """Connect the case's engine to the record (call it after arranging the data)."""
    return lambda: connect(record_url, engine_case.engine)


def _import_online_retail(url: str) -> None:
    from kizuna.ingest.csv_import import import_file

    path = shared_file("online_retail", "online_retail.csv.gz")
    engine = make_engine(url)
    upgrade(engine)
    with session_scope(make_sessionmaker(engine)) as session:
        import_file(session, "orders", path, "online-retail")
    engine.dispose()


@pytest.fixture(scope="session")
def online_retail_sqlite(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite record holding Online Retail, imported once per test session."""
    shared_file("online_retail", "online_retail.csv.gz")
    url = f"sqlite:///{Path(tmp_path_factory.mktemp('or')) / 'online_retail.db'}"
    _import_online_retail(url)
    return url


@pytest.fixture(scope="session")
def online_retail_postgres() -> Iterator[str]:
    """A PostgreSQL record holding Online Retail, imported once per test session."""
    shared_file("online_retail", "online_retail.csv.gz")
    name = f"kizuna_or_{uuid.uuid4().hex[:8]}"
    _pg_admin(f'CREATE DATABASE "{name}"')
    url = f"{PG_BASE}/{name}"
    try:
        _import_online_retail(url)
        yield url
    finally:
        _pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_CONNECTIONS: dict[tuple[str, str], BaseBackend] = {}


@pytest.fixture
def online_retail(
    engine_case: EngineCase, request: pytest.FixtureRequest
) -> tuple[str, BaseBackend]:
    """(record URL, engine) for Online Retail; one connection per engine for the session
    (the data does not change, and Spark copies the record in when it connects)."""
    url = str(request.getfixturevalue(f"online_retail_{engine_case.record}"))
    key = (url, engine_case.engine)
    if key not in _CONNECTIONS:
        _CONNECTIONS[key] = connect(url, engine_case.engine)
    return url, _CONNECTIONS[key]
