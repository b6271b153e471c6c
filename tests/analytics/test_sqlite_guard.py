"""DuckDB's own SQLite beside Python's in one process: without the guard, attaching a WAL record
that Python's sqlite3 has open truncates its shared-memory index and the next large write dies
with SIGBUS (the other copy rebuilt the index smaller than this one has it mapped); with the guard
(what ``analytics.backends`` does) the same sequence completes.
Each scenario runs in a child process, so a crash is an exit status, not a dead test run."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

SCENARIO = """
import sys
import duckdb
from sqlalchemy import text
from kizuna.analytics.backends import _extension
from kizuna.analytics.sqlite_guard import guard_sqlite
from kizuna.kit.db import make_engine

path, guarded = sys.argv[1], sys.argv[2] == "guarded"
engine = make_engine(f"sqlite:///{path}")
def big_write(tag):
    with engine.begin() as conn:  # ~40 MB in one transaction: the WAL index grows past 32 KiB
        conn.execute(text("CREATE TABLE IF NOT EXISTS t (k TEXT, pad TEXT)"))
        conn.execute(text("INSERT INTO t VALUES (:k, :pad)"),
                     [{"k": f"{tag}{i}", "pad": "x" * 200} for i in range(150_000)])
big_write("a")
with engine.begin() as conn:  # a small commit after the checkpoint restarts the WAL
    conn.execute(text("INSERT INTO t VALUES ('c', 'c')"))
if guarded:
    guard_sqlite(path)
duck = duckdb.connect()
duck.load_extension(_extension("sqlite_scanner"))
duck.execute(f"ATTACH '{path}' AS rec (TYPE sqlite, READ_ONLY)")
assert duck.execute("SELECT count(*) FROM rec.t").fetchone()[0] == 150_001
big_write("b")
with engine.connect() as conn:
    print(conn.execute(text("SELECT count(*) FROM t")).scalar_one())
"""


def _run(tmp_path: Path, mode: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", SCENARIO, str(tmp_path / "record.db"), mode],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip


def test_with_the_guard_both_libraries_share_the_record(tmp_path: Path) -> None:
    done = _run(tmp_path, "guarded")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "300001"


@pytest.mark.skipif(sys.platform != "linux", reason="the SIGBUS shown here is Linux behaviour")
def test_without_the_guard_the_second_write_crashes(tmp_path: Path) -> None:
    done = _run(tmp_path, "unguarded")
    assert done.returncode == -signal.SIGBUS
