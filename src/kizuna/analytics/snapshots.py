"""Rank snapshots: the one module of ``analytics`` that writes (to tables analytics owns).

``take_snapshot(url, as_of)`` computes every customer's rank at the end of ``as_of`` on the
analytics engine, compares it with the rank history (``analytics_rank_spells``) and writes only
the changes: spells of customers whose rank changed are closed at ``as_of`` and new spells open.
Running it again for the same day replaces that day's run (the nightly job is idempotent);
a day before the latest snapshot is refused, because history is written forwards.

Also: publishing rank policy versions and saving segments (author and time recorded).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

import ibis
import ibis.expr.types as ir
import pyarrow as pa
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from kizuna.analytics.backends import connect, engine_of, materialize, resolve
from kizuna.analytics.models import RankPolicyVersion, RankSpell, SavedSegment, SnapshotRun
from kizuna.analytics.ranks.evaluate import ranks_as_of
from kizuna.analytics.ranks.policy import RankPolicy, default_policy
from kizuna.kit.bulk import Bulk, chunks
from kizuna.kit.clock import now, to_shop_tz
from kizuna.kit.db import make_engine, make_sessionmaker, session_scope
from kizuna.kit.errors import Conflict
from kizuna.settings import get_settings

SPELL_COLUMNS = ("customer_id", "rank", "valid_from", "valid_to", "run_id")


@dataclass(frozen=True)
class SnapshotReport:
    """What one snapshot run did."""

    run_id: int
    as_of: date
    engine: str
    customers: int
    opened: int
    closed: int
    replaced_run: bool
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """JSON form (CLI ``kizuna snapshot --json``, the nightly job's log)."""
        out = asdict(self)
        out["as_of"] = self.as_of.isoformat()
        return out


def prior_spells(con: Any, as_of: date) -> ir.Table:
    """The spells in force just before a run at ``as_of`` (a run already at ``as_of`` ignored)."""
    spells = con.table("analytics_rank_spells")
    day = ibis.date(as_of)
    live = (spells.valid_from < day) & (spells.valid_to.isnull() | (spells.valid_to >= day))
    return spells.filter(live).select(
        spell_id=spells.id, customer_id=spells.customer_id, old_rank=spells["rank"]
    )


def rank_changes(con: Any, ranked: ir.Table, as_of: date) -> tuple[pa.Table, pa.Table]:
    """(spells to close: ``spell_id``; spells to open: ``customer_id``, ``rank``) as Arrow."""
    now = ranked.select("customer_id", "rank")
    before = prior_spells(con, as_of)
    joined = now.outer_join(before, now.customer_id == before.customer_id)
    changed = joined.filter(
        joined["rank"].isnull() | joined.old_rank.isnull() | (joined["rank"] != joined.old_rank)
    )
    closing = changed.filter(changed.spell_id.notnull()).select("spell_id")
    opening = changed.filter(changed["rank"].notnull()).select(
        customer_id=changed.customer_id, rank=changed["rank"]
    )
    return closing.to_pyarrow(), opening.to_pyarrow()


def take_snapshot(
    database_url: str | None = None,
    as_of: date | None = None,
    policy: RankPolicy | None = None,
    *,
    engine: str | None = None,
    con: Any = None,
) -> SnapshotReport:
    """Snapshot every customer's rank at the end of ``as_of`` (default: today in the shop)."""
    started = time.perf_counter()
    url, _ = resolve(database_url, engine)
    day = as_of or to_shop_tz(now(), get_settings().shop_timezone).date()
    policy = policy or default_policy()
    con = con or connect(url, engine)
    ranked = ranks_as_of(con, day, policy).select("customer_id", "rank")
    ranked = materialize(con, ranked, f"kizuna_ranks_{day:%Y%m%d}")
    customers = int(ranked.count().to_pyarrow().as_py())
    closing, opening = rank_changes(con, ranked, day)
    record = make_engine(url)
    try:
        with session_scope(make_sessionmaker(record)) as session:
            replaced = _undo_run(session, day)
            run = SnapshotRun(
                as_of=day,
                policy_name=policy.name,
                policy_version=policy.version,
                engine=engine_of(con),
                customers=customers,
                changed=opening.num_rows,
            )
            session.add(run)
            session.flush()
            _write_spells(session, run.id, day, closing, opening)
            run.seconds = time.perf_counter() - started
            report = SnapshotReport(
                run.id, day, run.engine, customers, opening.num_rows, closing.num_rows,
                replaced, run.seconds,
            )  # fmt: skip
    finally:
        record.dispose()
    return report


def _undo_run(session: Session, day: date) -> bool:
    """Remove a run already at ``day`` (reopen what it closed); refuse a day in the past."""
    latest = session.scalar(select(func.max(SnapshotRun.as_of)))
    if latest is not None and day < latest:
        raise Conflict(
            f"a snapshot for {latest.isoformat()} exists; history is written forwards, so "
            f"{day.isoformat()} cannot be added",
            field="as_of",
        )
    run_id = session.scalar(select(SnapshotRun.id).where(SnapshotRun.as_of == day))
    if run_id is None:
        return False
    session.execute(delete(RankSpell).where(RankSpell.valid_from == day))
    session.execute(update(RankSpell).where(RankSpell.valid_to == day).values(valid_to=None))
    session.execute(delete(SnapshotRun).where(SnapshotRun.id == run_id))
    session.flush()
    return True


def _write_spells(
    session: Session, run_id: int, day: date, closing: pa.Table, opening: pa.Table
) -> None:
    bulk = Bulk(session)
    stamp = bulk.day(day)
    ids = closing.column("spell_id").to_pylist()
    for part in chunks(ids, 5000):
        marks = bulk.marks(len(part))
        bulk.conn.exec_driver_sql(
            bulk.sql(f"UPDATE analytics_rank_spells SET valid_to = ? WHERE id IN ({marks})"),
            (stamp, *part),
        )
    customers = opening.column("customer_id").to_pylist()
    ranks = opening.column("rank").to_pylist()
    rows = [(cid, rank, stamp, None, run_id) for cid, rank in zip(customers, ranks, strict=True)]
    for part in chunks(rows, 100_000):
        bulk.insert("analytics_rank_spells", SPELL_COLUMNS, part)


def do_publish_policy(
    session: Session, policy: RankPolicy, *, author: str, note: str | None = None
) -> RankPolicy:
    """Store ``policy`` as the next version of its name; returns it with that version number."""
    latest = session.scalar(
        select(func.max(RankPolicyVersion.version)).where(RankPolicyVersion.name == policy.name)
    )
    published = policy.model_copy(update={"version": (latest or 0) + 1})
    session.add(
        RankPolicyVersion(
            name=published.name,
            version=published.version,
            document=published.model_dump(mode="json"),
            author=author,
            note=note,
        )
    )
    session.flush()
    return published


def current_policy(session: Session, name: str = "default") -> RankPolicy:
    """The newest published version of ``name``, or the built-in default when none is."""
    row = session.scalars(
        select(RankPolicyVersion)
        .where(RankPolicyVersion.name == name)
        .order_by(RankPolicyVersion.version.desc())
        .limit(1)
    ).first()
    return RankPolicy.from_data(row.document) if row is not None else default_policy()


def policy_history(session: Session, name: str = "default") -> list[dict[str, Any]]:
    """Every published version of ``name``: version, author, time and note (newest first)."""
    rows = session.scalars(
        select(RankPolicyVersion)
        .where(RankPolicyVersion.name == name)
        .order_by(RankPolicyVersion.version.desc())
    )
    return [
        {"version": r.version, "author": r.author, "created_at": r.created_at, "note": r.note}
        for r in rows
    ]


def do_save_segment(session: Session, name: str, definition: Any, *, author: str) -> SavedSegment:
    """Create or update the saved segment ``name`` (its version goes up on each save)."""
    row = session.scalars(select(SavedSegment).where(SavedSegment.name == name)).first()
    document = definition.model_dump(mode="json")
    if row is None:
        row = SavedSegment(name=name, definition=document, version=1, author=author)
        session.add(row)
    else:
        row.definition, row.version, row.author = document, row.version + 1, author
    session.flush()
    return row
