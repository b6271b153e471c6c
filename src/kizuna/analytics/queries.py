"""Analytics for the entry points (dashboard, CLI, API, the campaign builder): one engine
connection per record, the day's segment base and the reports, reused while the record is
unchanged.

``Workbench`` holds an Ibis connection over an in-memory copy of the record (DuckDB
``cache=True``) and memoises what the dashboard asks repeatedly (the ranked base of a day, the
strategy table, cohorts…). It is rebuilt when the record's version changes (a new order,
customer, return, event, consent, snapshot or CLV score: ``record_version``) and it is at least
``MIN_AGE_SECONDS`` old (at once for ``fresh=True``: a campaign's audience), or after
``FRESH_SECONDS`` (edits that add no row, such as a problem flag). One lock per workbench
serialises the queries: a DuckDB connection must not be used by two threads at once.

Reads only; the snapshot writer is ``analytics.snapshots``.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any, TypeVar

from ibis.backends import BaseBackend
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from kizuna.analytics.backends import connect, materialize, resolve
from kizuna.analytics.models import SavedSegment, SnapshotRun
from kizuna.analytics.ranks.evaluate import ranks_as_of
from kizuna.analytics.ranks.policy import RankPolicy, default_policy
from kizuna.analytics.segments.compile import SegmentBase, SegmentCount, count, export_csv, sample
from kizuna.analytics.segments.compile import segment_members as _members
from kizuna.analytics.segments.definition import SegmentDefinition
from kizuna.kit.clock import now, to_shop_tz
from kizuna.kit.errors import NotFound
from kizuna.settings import get_settings

FRESH_SECONDS = 900
# A busy shop's new orders rebuild the dashboard's figures at most this often (a rebuild
# recomputes each page's ranks: seconds). Audiences that are acted on ask for fresh=True.
MIN_AGE_SECONDS = 300.0
VERSION_TABLES = (
    "orders", "customers", "returns", "events", "consent_changes", "subscriptions",
    "analytics_snapshot_runs", "analytics_rank_policies", "clv_fits",
)  # fmt: skip
T = TypeVar("T")


def shop_today() -> date:
    """Today in the shop's time zone (the default ``as_of``)."""
    return to_shop_tz(now(), get_settings().shop_timezone).date()


def record_version(session: Session) -> tuple[Any, ...]:
    """The newest id of each table the analytics read (cheap: the end of each primary key)."""
    return tuple(
        session.execute(text(f"SELECT MAX(id) FROM {table}")).scalar() for table in VERSION_TABLES
    )


def policy_key(policy: RankPolicy) -> str:
    """A short digest of what decides the ranks (rules, levels, RFM settings): editing the
    services, targets or labels of the strategy table does not invalidate computed ranks."""
    kept = {"rules": {"__all__": {"services", "target", "label_ja", "label_en"}}}
    text = policy.model_dump_json(exclude={"version": True, "description": True, **kept})
    return hashlib.sha1(text.encode()).hexdigest()[:12]


@dataclass
class Workbench:
    """An engine connection with memoised results for one version of the record."""

    url: str
    con: BaseBackend
    version: tuple[Any, ...] = ()
    built_at: float = field(default_factory=time.monotonic)
    lock: threading.RLock = field(default_factory=threading.RLock)
    memo: dict[tuple[Any, ...], Any] = field(default_factory=dict)

    def remember(self, key: tuple[Any, ...], compute: Callable[[], T]) -> T:
        """``compute()`` once per key for this version of the record (under the lock)."""
        with self.lock:
            if key not in self.memo:
                self.memo[key] = compute()
            return self.memo[key]

    def base(self, as_of: date, policy: RankPolicy) -> SegmentBase:
        """The ranked segment base of ``as_of`` under ``policy`` (built once; its session
        table is named after the day and the policy, so a draft policy's preview never
        replaces the base of the policy in force)."""
        zone = get_settings().shop_timezone
        key = policy_key(policy)

        def build() -> SegmentBase:
            ranked = ranks_as_of(self.con, as_of, policy, zone=zone)
            table = materialize(self.con, ranked, f"kizuna_wb_{as_of:%Y%m%d}_{key}")
            return SegmentBase(self.con, as_of, table, zone)

        return self.remember(("base", as_of, key), build)


_benches: dict[str, Workbench] = {}
_benches_lock = threading.Lock()


def workbench(
    session: Session | None = None, database_url: str | None = None, *, fresh: bool = False
) -> Workbench:
    """The workbench of the record at ``database_url`` (default: the settings). Given a
    ``session`` on that record, a changed record rebuilds it once it is ``MIN_AGE_SECONDS``
    old, or at once with ``fresh``."""
    url, _engine = resolve(database_url)
    version = record_version(session) if session is not None else None
    with _benches_lock:
        bench = _benches.get(url)
        age = time.monotonic() - bench.built_at if bench is not None else 0.0
        stale = bench is not None and (
            (version is not None and bench.version != version and (fresh or age > MIN_AGE_SECONDS))
            or age > FRESH_SECONDS
        )
        if bench is None or stale:
            # an in-memory copy of the record: the reports ask many questions of it
            bench = Workbench(url, connect(url, cache=True), version or ())
            _benches[url] = bench
        return bench


@contextmanager
def locked(bench: Workbench) -> Iterator[BaseBackend]:
    """The workbench's connection, held exclusively for a block of queries."""
    with bench.lock:
        yield bench.con


def forget(database_url: str | None = None) -> None:
    """Drop the workbench of a record (tests; a record that was replaced)."""
    url, _engine = resolve(database_url)
    with _benches_lock:
        _benches.pop(url, None)


def count_segment(
    definition: SegmentDefinition,
    *,
    as_of: date | None = None,
    policy: RankPolicy | None = None,
    session: Session | None = None,
    database_url: str | None = None,
    by_rank: bool = False,
) -> SegmentCount:
    """How many customers are in the segment on ``as_of`` (default: today in the shop)."""
    bench = workbench(session, database_url)
    with locked(bench):
        base = bench.base(as_of or shop_today(), policy or default_policy())
        return count(base, definition, by_rank=by_rank)


def segment_sample(
    definition: SegmentDefinition,
    *,
    as_of: date | None = None,
    policy: RankPolicy | None = None,
    session: Session | None = None,
    database_url: str | None = None,
    limit: int = 20,
) -> list[dict[str, Any]]:
    """Up to ``limit`` members (highest 12-month spend first) for a preview."""
    bench = workbench(session, database_url)
    with locked(bench):
        base = bench.base(as_of or shop_today(), policy or default_policy())
        return sample(base, definition, limit)


def segment_member_ids(
    definition: SegmentDefinition,
    *,
    as_of: date | None = None,
    policy: RankPolicy | None = None,
    session: Session | None = None,
    database_url: str | None = None,
) -> list[int]:
    """The customer ids of every member, ascending (for a campaign's audience: read from the
    record as it is now when a ``session`` is given)."""
    bench = workbench(session, database_url, fresh=True)
    with locked(bench):
        base = bench.base(as_of or shop_today(), policy or default_policy())
        ids = _members(base, definition).select("customer_id").order_by("customer_id")
        return [int(v) for v in ids.to_pyarrow().column("customer_id").to_pylist()]


def export_segment(
    definition: SegmentDefinition,
    target: Any,
    *,
    as_of: date | None = None,
    policy: RankPolicy | None = None,
    session: Session | None = None,
    database_url: str | None = None,
) -> int:
    """Write the members as CSV to a path or binary stream; returns how many rows."""
    bench = workbench(session, database_url)
    with locked(bench):
        base = bench.base(as_of or shop_today(), policy or default_policy())
        return export_csv(base, definition, target)


def saved_segments(session: Session) -> list[SavedSegment]:
    """The saved segments, by name."""
    return list(session.scalars(select(SavedSegment).order_by(SavedSegment.name)))


def saved_segment(session: Session, segment_id: int) -> tuple[SavedSegment, SegmentDefinition]:
    """A saved segment and its validated definition (NotFound when absent)."""
    row = session.get(SavedSegment, segment_id)
    if row is None:
        raise NotFound(f"no saved segment {segment_id}", field="segment_id")
    return row, SegmentDefinition.from_data(row.definition)


def snapshot_runs(session: Session, limit: int = 10) -> list[dict[str, Any]]:
    """The latest rank snapshot runs, newest first."""
    rows = session.scalars(select(SnapshotRun).order_by(SnapshotRun.as_of.desc()).limit(limit))
    return [
        {"as_of": r.as_of, "customers": r.customers, "changed": r.changed,
         "policy_version": r.policy_version, "engine": r.engine, "seconds": r.seconds}
        for r in rows
    ]  # fmt: skip
