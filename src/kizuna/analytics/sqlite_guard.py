"""Keep two SQLite libraries in one process from wrecking each other's WAL index.

DuckDB's ``sqlite_scanner`` carries its own copy of SQLite. POSIX file locks never conflict
within one process, so when it opens a WAL database that Python's ``sqlite3`` (SQLAlchemy)
already has open, it believes it is the first connection and truncates the ``-shm`` file that
the other copy has mapped: the next write past the first 32 KiB of that mapping dies with
SIGBUS (seen after a large import followed by a rank snapshot in the same process).

SQLite only resets the ``-shm`` file when *no other process* holds its shared lock. So before
DuckDB attaches a SQLite record, a tiny keeper process opens the same database and reads it
once (taking that shared lock), then idles until this process exits. With the keeper there, no
connection in this process ever thinks it is the first one.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

_KEEPER = """
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
con.execute("SELECT count(*) FROM sqlite_master").fetchall()
print("ready", flush=True)
sys.stdin.read()  # until the parent exits (its end of the pipe closes)
"""
_keepers: dict[str, subprocess.Popen[str]] = {}
_lock = threading.Lock()


def guard_sqlite(path: str) -> None:
    """Make sure a keeper process holds ``path``'s WAL index open (started once per file)."""
    if not path or path == ":memory:" or not Path(path).exists():
        return
    key = str(Path(path).resolve())
    with _lock:
        keeper = _keepers.get(key)
        if keeper is not None and keeper.poll() is None:
            return
        _reap()
        keeper = subprocess.Popen(
            [sys.executable, "-c", _KEEPER, key],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert keeper.stdout is not None
        if keeper.stdout.readline().strip() != "ready":
            raise RuntimeError(f"could not open {key} to guard its WAL index")
        _keepers[key] = keeper


def _reap() -> None:
    """Stop the keepers of files that are gone (a test's temporary record, a deleted demo)."""
    for key, keeper in list(_keepers.items()):
        if keeper.poll() is not None or not Path(key).exists():
            keeper.kill()
            keeper.wait()
            del _keepers[key]
