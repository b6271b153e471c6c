"""Where the analytics run: one Ibis backend per engine, with the record's tables by plain name.

``connect(url, engine)`` returns an Ibis backend on which ``con.table("orders")`` is the record's
``orders`` table, whatever the engine:

* ``duckdb`` (the default, ``auto``): DuckDB in-process. The SQLite file is attached read-only
  through ``sqlite_scanner`` and each record table is a view in DuckDB's ``main`` schema.
  DuckDB cannot download extensions on a closed network, so the extension file shipped in the
  pinned PyPI wheel is loaded by path. A PostgreSQL record is attached the same way with
  ``postgres_scanner`` (measured faster than running in place: see ``resolve``). ``cache=True``
  copies the tables into DuckDB's memory instead (for a session that asks many questions: the
  segment builder's live count).
* ``postgres``: the Ibis PostgreSQL backend, queries run in the database (less memory in the
  app process); the session time zone is set to UTC so timestamps stay UTC.
* ``spark``: PySpark local mode, standing in for a warehouse cluster. Without JDBC drivers on a
  closed network, the record tables are read once into Arrow through DuckDB and registered as
  Spark temporary views. A real warehouse would expose the same table names.

Reads only. The one writer is ``analytics.snapshots``, which goes through SQLAlchemy.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

import duckdb
import ibis
from ibis.backends import BaseBackend
from sqlalchemy.engine import make_url

from kizuna.analytics.sqlite_guard import guard_sqlite
from kizuna.kit.errors import ValidationFailed
from kizuna.settings import get_settings

ENGINES = ("duckdb", "postgres", "spark")
# The record tables the analytics read (analytics-owned tables included).
TABLES = (
    "customers",
    "orders",
    "order_lines",
    "returns",
    "subscriptions",
    "events",
    "products",
    "categories",
    "consent_changes",
    "analytics_rank_spells",
    "analytics_snapshot_runs",
    "clv_predictions",  # written by the CLV domain; read by the churn-risk and CLV predicates
    "surveys",  # the feedback domain's survey tables: read by the survey predicates
    "survey_questions",
    "survey_responses",
    "survey_answers",
)
_EXTENSION_VERSION = "v1.5.5"
_spark_lock = threading.Lock()
_spark: Any = None


def resolve(database_url: str | None = None, engine: str | None = None) -> tuple[str, str]:
    """The (record URL, engine) the settings and arguments select."""
    settings = get_settings()
    url = database_url or settings.analytics_url or settings.database_url
    wanted = engine or settings.analytics_engine
    if wanted == "auto":
        # DuckDB in-process for both records: over PostgreSQL (postgres_scanner) it recomputed
        # 1M customers / 10M orders in 18 s against 31 s in place (bench_analytics); choose
        # "postgres" to keep the work (and the memory) in the database server instead.
        wanted = "duckdb"
    if wanted not in ENGINES:
        raise ValidationFailed(
            f"analytics engine has value {wanted!r}. Not one of auto, {', '.join(ENGINES)}.",
            field="analytics_engine",
        )
    return url, wanted


def connect(
    database_url: str | None = None, engine: str | None = None, *, cache: bool = False
) -> BaseBackend:
    """An Ibis backend over the record at ``database_url`` (default: the settings)."""
    url, chosen = resolve(database_url, engine)
    if chosen == "postgres":
        return _postgres(url)
    if chosen == "spark":
        return _spark_backend(url)
    return ibis.duckdb.from_connection(_duckdb_over(url, cache))


def engine_of(con: BaseBackend) -> str:
    """``duckdb``, ``postgres`` or ``spark`` for a backend made by ``connect``."""
    name = con.name
    return "spark" if name == "pyspark" else name


def _postgres(url: str) -> BaseBackend:
    u = make_url(url)
    con = ibis.postgres.connect(
        host=u.host or "localhost",
        port=u.port or 5432,
        user=u.username,
        password=u.password,
        database=u.database,
    )
    con.raw_sql("SET TIME ZONE 'UTC'")
    return con


def _extension(name: str) -> str:
    module = __import__(f"duckdb_extension_{name}")
    folder = Path(str(module.__file__)).parent / "extensions" / _EXTENSION_VERSION
    return str(folder / f"{name}.duckdb_extension")


def _libpq_dsn(url: str) -> str:
    u = make_url(url)
    parts = {
        "host": u.host or "localhost",
        "port": u.port or 5432,
        "user": u.username,
        "password": u.password,
        "dbname": u.database,
    }
    return " ".join(f"{key}={value}" for key, value in parts.items() if value is not None)


def _duckdb_over(url: str, cache: bool) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection with the record attached read-only as ``rec``; tables in ``main``."""
    raw = duckdb.connect()
    raw.execute("SET TimeZone = 'UTC'")
    u = make_url(url)
    if u.get_backend_name() == "postgresql":
        raw.load_extension(_extension("postgres_scanner"))
        dsn = _libpq_dsn(url).replace("'", "''")
        raw.execute(f"ATTACH '{dsn}' AS rec (TYPE postgres, READ_ONLY)")
    else:
        guard_sqlite(str(u.database or ""))
        path = str(u.database or "").replace("'", "''")
        raw.load_extension(_extension("sqlite_scanner"))
        raw.execute(f"ATTACH '{path}' AS rec (TYPE sqlite, READ_ONLY)")
    present = {row[0] for row in raw.execute("SHOW TABLES FROM rec").fetchall()}
    kind = "TABLE" if cache else "VIEW"
    for table in TABLES:
        if table in present:
            source = "rec.public" if u.get_backend_name() == "postgresql" else "rec"
            raw.execute(f'CREATE {kind} main."{table}" AS SELECT * FROM {source}."{table}"')
    return raw


def spark_session() -> Any:
    """The process's one local SparkSession (starting one takes seconds: it is shared)."""
    global _spark
    with _spark_lock:
        if _spark is None:
            os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
            from pyspark.sql import SparkSession

            _spark = (
                SparkSession.builder.master("local[*]")
                .appName("kizuna-analytics")
                .config("spark.sql.session.timeZone", "UTC")
                .config("spark.sql.shuffle.partitions", "4")
                .config("spark.sql.execution.arrow.pyspark.enabled", "true")
                .config("spark.ui.enabled", "false")
                .config("spark.driver.memory", "4g")
                .getOrCreate()
            )
            _spark.sparkContext.setLogLevel("ERROR")
        return _spark


def _spark_backend(url: str) -> BaseBackend:
    """PySpark local with the record tables copied in through Arrow (the warehouse stand-in)."""
    session = spark_session()
    source = _duckdb_over(url, cache=False)
    try:
        names = {row[0] for row in source.execute("SHOW TABLES").fetchall()}
        for table in TABLES:
            if table in names:
                arrow = source.execute(f'SELECT * FROM main."{table}"').fetch_arrow_table()
                frame = session.createDataFrame(arrow)
                frame.createOrReplaceTempView(table)
    finally:
        source.close()
    return ibis.pyspark.connect(session)


def materialize(con: BaseBackend, expr: Any, name: str) -> Any:
    """Compute ``expr`` once into a session-scoped table ``name`` and return that table.

    DuckDB and PostgreSQL get a temporary table (analysed, so PostgreSQL plans joins on it
    well); Spark a cached temporary view. Later expressions (RFM, ranks, segment counts) read
    the result instead of recomputing it. Columns keep the expression's types: engines widen
    integer sums (HUGEINT, NUMERIC) in stored tables, and a cast at read time narrows them back.
    """
    sql = str(con.compile(expr))
    kind = engine_of(con)
    if kind == "spark":
        session = con._session  # ibis keeps the SparkSession here
        frame = session.sql(sql).cache()
        frame.count()
        frame.createOrReplaceTempView(name)
    elif kind == "duckdb":
        con.raw_sql(f'CREATE OR REPLACE TEMP TABLE "{name}" AS {sql}')
    else:
        con.raw_sql(f'DROP TABLE IF EXISTS "{name}"')
        con.raw_sql(f'CREATE TEMP TABLE "{name}" AS {sql}')
        con.raw_sql(f'ANALYZE "{name}"')
    table = con.table(name)
    stored, wanted = table.schema(), expr.schema()
    narrowed = {
        column: dtype
        for column, dtype in wanted.items()
        if stored[column].copy(nullable=True) != dtype.copy(nullable=True)
    }
    return table.cast(narrowed) if narrowed else table


def scalar(expr: Any) -> Any:
    """The Python value of a scalar expression (through Arrow: no pandas at run time)."""
    value = expr.to_pyarrow().as_py()
    return int(value) if hasattr(value, "as_integer_ratio") and value == int(value) else value
