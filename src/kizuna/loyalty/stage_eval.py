"""The monthly stage evaluation for every member, as a handful of set-based SQL statements.

1. one ``INSERT … SELECT`` fills a temporary table with each member's qualifying amount
   (``qualifying.qualifying_select`` for everyone at once), current stage, entitled stage and
   the outcome of ``stages.decide`` written as ``CASE`` expressions;
2. one ``INSERT … SELECT`` writes a history row for every change;
3. one upsert (``INSERT … ON CONFLICT DO UPDATE``) stores the new state in ``loyalty_accounts``.

No row goes through Python, so the cost is the database's: one scan of the orders in the
window and one pass over the members. Also the programme editor's preview: how many members
each stage would have under a draft programme.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    Integer,
    MetaData,
    String,
    Table,
    case,
    func,
    insert,
    literal,
    null,
    or_,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from kizuna.customers.models import Customer
from kizuna.kit.clock import now
from kizuna.kit.db import UTCDateTime
from kizuna.loyalty.dates import local_date
from kizuna.loyalty.locking import lock_customers
from kizuna.loyalty.models import LoyaltyAccount, StageChange
from kizuna.loyalty.programme import Programme
from kizuna.loyalty.qualifying import qualifying_select
from kizuna.loyalty.versions import active_programme

_EVAL = Table(
    "loyalty_stage_eval",
    MetaData(),
    Column("customer_id", BigInteger, primary_key=True),
    Column("qualifying", BigInteger),
    Column("cur_stage", String(32)),
    Column("cur_rank", Integer),
    Column("short_since", Date),
    Column("entitled", Integer),
    Column("new_rank", Integer),
    Column("new_short", Date),
    prefixes=["TEMPORARY"],
)


@dataclass(frozen=True, slots=True)
class EvaluationRun:
    members: int
    joined: int
    promoted: int
    demoted: int
    grace_started: int
    seconds: float


def _members(programme: Programme, at: datetime):
    """Per member: qualifying amount, current stage and rank, grace start, entitled rank."""
    q = qualifying_select(programme, at).subquery("q")
    amount = func.coalesce(q.c.amount, 0)
    stages = list(enumerate(programme.stages))
    entitled = case(*[(amount >= s.min_qualifying, i) for i, s in reversed(stages)], else_=0)
    rank = case({s.code: i for i, s in stages}, value=LoyaltyAccount.stage, else_=-1)
    query = (
        select(
            Customer.id.label("customer_id"),
            amount.label("qualifying"),
            LoyaltyAccount.stage.label("cur_stage"),
            rank.label("cur_rank"),
            LoyaltyAccount.short_since.label("short_since"),
            entitled.label("entitled"),
        )
        .select_from(Customer)
        .outerjoin(q, q.c.customer_id == Customer.id)
        .outerjoin(LoyaltyAccount, LoyaltyAccount.customer_id == Customer.id)
        .where(Customer.merged_into_id.is_(None))
    )
    if programme.members_only:
        query = query.where(Customer.is_member.is_(True))
    return query.subquery("m")


def _fill(session: Session, programme: Programme, at: datetime) -> None:
    m = _members(programme, at)
    today = local_date(at)
    cutoff = literal(today - timedelta(days=programme.qualification.grace_days), Date)
    keep = or_(m.c.cur_rank < 0, m.c.entitled >= m.c.cur_rank)
    short = func.coalesce(m.c.short_since, literal(today, Date))
    demote = short <= cutoff
    new_rank = case((keep, m.c.entitled), (demote, m.c.entitled), else_=m.c.cur_rank)
    new_short = case((keep, null()), (demote, null()), else_=short)
    columns = ["customer_id", "qualifying", "cur_stage", "cur_rank", "short_since", "entitled"]
    source = select(*[m.c[c] for c in columns], new_rank, new_short)
    session.execute(insert(_EVAL).from_select([*columns, "new_rank", "new_short"], source))


def _history(session: Session, programme: Programme, at: datetime) -> None:
    e = _EVAL.c
    stages = list(enumerate(programme.stages))
    code = case({i: s.code for i, s in stages}, value=e.new_rank)
    threshold = case({i: s.min_qualifying for i, s in stages}, value=e.new_rank)
    reason = case(
        (e.cur_rank < 0, case((e.cur_stage.is_(None), "joined"), else_="programme_changed")),
        (e.new_rank > e.cur_rank, "promoted"),
        (e.new_rank < e.cur_rank, "demoted"),
        else_="grace_started",
    )
    changed = or_(e.new_rank != e.cur_rank, (e.short_since.is_(None) & e.new_short.is_not(None)))
    source = select(
        e.customer_id,
        e.cur_stage,
        code,
        reason,
        e.qualifying,
        threshold,
        literal(programme.version, Integer),
        literal("system"),
        literal(at, UTCDateTime()),
    ).where(changed)
    names = [
        "customer_id",
        "from_stage",
        "to_stage",
        "reason",
        "qualifying",
        "threshold",
        "programme_version",
        "actor",
        "at",
    ]
    session.execute(insert(StageChange).from_select(names, source))


def _store(session: Session, programme: Programme, at: datetime) -> None:
    e = _EVAL.c
    code = case({i: s.code for i, s in enumerate(programme.stages)}, value=e.new_rank)
    source = select(
        e.customer_id,
        code,
        literal(local_date(at), Date),
        e.new_short,
        e.qualifying,
        literal(at, UTCDateTime()),
    ).where(e.customer_id.is_not(None))
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    names = ["customer_id", "stage", "stage_since", "short_since", "qualifying", "evaluated_at"]
    stmt = dialect.insert(LoyaltyAccount).from_select(names, source)
    table = LoyaltyAccount.__table__.c
    stmt = stmt.on_conflict_do_update(
        index_elements=["customer_id"],
        set_={
            "stage": stmt.excluded.stage,
            "stage_since": case(
                (
                    or_(table.stage.is_(None), table.stage != stmt.excluded.stage),
                    stmt.excluded.stage_since,
                ),
                else_=table.stage_since,
            ),
            "short_since": stmt.excluded.short_since,
            "qualifying": stmt.excluded.qualifying,
            "evaluated_at": stmt.excluded.evaluated_at,
        },
    )
    session.execute(stmt)


def _counts(session: Session) -> tuple[int, int, int, int, int]:
    e = _EVAL.c
    row = session.execute(
        select(
            func.count(),
            func.sum(case((e.cur_rank < 0, 1), else_=0)),
            func.sum(case(((e.cur_rank >= 0) & (e.new_rank > e.cur_rank), 1), else_=0)),
            func.sum(case((e.new_rank < e.cur_rank, 1), else_=0)),
            func.sum(case((e.short_since.is_(None) & e.new_short.is_not(None), 1), else_=0)),
        )
    ).one()
    return tuple(int(v or 0) for v in row)  # type: ignore[return-value]


def evaluate_all_stages(session: Session, *, at: datetime | None = None) -> EvaluationRun:
    """Evaluate every member at ``at`` (the monthly job); counts of what happened."""
    started, at = time.perf_counter(), at or now()
    programme = active_programme(session, at)
    lock_customers(session, [])
    connection = session.connection()
    _EVAL.drop(connection, checkfirst=True)
    _EVAL.create(connection)
    try:
        _fill(session, programme, at)
        _history(session, programme, at)
        _store(session, programme, at)
        counts = _counts(session)
    finally:
        _EVAL.drop(connection)
    return EvaluationRun(*counts, seconds=time.perf_counter() - started)


def preview_stage_distribution(
    session: Session, programme: Programme, *, at: datetime | None = None
) -> dict[str, int]:
    """How many members each stage of ``programme`` (e.g. an unpublished draft) would hold
    at ``at``, by qualifying amount alone (no grace). Writes nothing."""
    m = _members(programme, at or now())
    rows: dict[int, int] = dict(
        session.execute(select(m.c.entitled, func.count()).group_by(m.c.entitled)).all()
    )
    return {s.code: int(rows.get(i, 0)) for i, s in enumerate(programme.stages)}
