"""Daily trigger scanners: dates in the shop's time zone and computed state, one set-based query
each (an indexed range or one pass over a table), so a run over a million customers takes
seconds. ``automation.daily_triggers`` runs them once a day.

A daily scanner also looks at the last ``catch_up_days`` (default 2) so a day the job did not
run is caught up, never sent twice: the occurrence comes from the underlying date (the birthday
year, the last order's day, the expiry day), not from the day of the scan.

Sources: birthdays and registration anniversaries from ``customers``; dormancy from ``orders``;
points expiring and rewards usable from the loyalty ledger's lots; warranties expiring from the
active extended-warranty enrolments (``warranty_enrolments.ends_on``, a shop date); stage moves
from loyalty's stage history; rank entries from the analytics rank history
(``analytics_rank_spells``; with no snapshot taken yet the scan returns nothing and says so, a
declared gap); segment entries from the analytics segment definition, compared with the members
at the previous scan.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, delete, exists, extract, func, or_, select
from sqlalchemy.orm import Session, aliased

from kizuna.analytics.models import RankSpell, SavedSegment, SnapshotRun
from kizuna.automation.journeys.models import Enrolment, SegmentMember
from kizuna.automation.journeys.triggers import Entry, Params, Scan, handler
from kizuna.customers.models import Customer
from kizuna.kit.bulk import Bulk, chunks
from kizuna.kit.clock import start_of_day, to_shop_tz
from kizuna.loyalty.models import PointLot, StageChange
from kizuna.orders.aftersales_models import WarrantyEnrolment
from kizuna.orders.models import Order
from kizuna.settings import get_settings


def zone() -> str:
    """The shop's time zone."""
    return get_settings().shop_timezone


def today(at: datetime) -> date:
    """The shop-local date of ``at``."""
    return to_shop_tz(at, zone()).date()


def _days(params: Params, at: datetime, ahead: int) -> list[date]:
    """The target days: ``ahead`` days from today, and the ``catch_up_days`` - 1 before."""
    base = today(at) + timedelta(days=ahead)
    return [base - timedelta(days=k) for k in range(max(int(params.get("catch_up_days", 2)), 1))]


def _same_day(day: date, year: int) -> date:
    """``day`` in ``year`` (29 February falls on the 28th in other years)."""
    try:
        return day.replace(year=year)
    except ValueError:
        return day.replace(year=year, day=28)


def _month_days(targets: list[date]) -> list[tuple[int, int]]:
    pairs = {(t.month, t.day) for t in targets}
    for t in targets:  # 29 February birthdays are celebrated on the 28th in common years
        if (t.month, t.day) == (2, 28) and _same_day(date(2000, 2, 29), t.year).day == 28:
            pairs.add((2, 29))
    return sorted(pairs)


def _live(stmt: Any) -> Any:
    return stmt.where(Customer.merged_into_id.is_(None), Customer.erased_at.is_(None))


@handler("birthday", "daily")
def birthday(session: Session, params: Params, at: datetime, ids: Sequence[int] | None) -> Scan:
    """``days_before`` days before the birthday (shop time); once per customer and year."""
    ahead = int(params.get("days_before", 0))
    targets = [t for t in _days(params, at, ahead) if t >= today(at)]
    pairs = _month_days(targets)
    if not pairs:
        return Scan([])
    if session.get_bind().dialect.name == "sqlite":  # ISO text: one substring beats strftime
        md = func.substr(Customer.birth_date, 6, 5)
        match: Any = md.in_([f"{m:02d}-{d:02d}" for m, d in pairs])
    else:
        month, day = extract("month", Customer.birth_date), extract("day", Customer.birth_date)
        match = or_(*[and_(month == m, day == d) for m, d in pairs])
    stmt = _live(select(Customer.id, Customer.birth_date)).where(
        Customer.birth_date.is_not(None), match
    )
    entries = []
    for cid, born in session.execute(stmt):
        target = next(t for t in targets if _same_day(born, t.year) == t)
        entries.append(Entry(cid, f"y{target.year}", at, at, {"birthday": target.isoformat()}))
    return Scan(entries)


def _local_md(session: Session, column: Any, target: date) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone(zone(), column), "MM-DD")
    # SQLite stores naive UTC text: shift by the zone's offset on that day (no DST in Japan)
    offset = ZoneInfo(zone()).utcoffset(datetime.combine(target, time(12)))
    seconds = int(offset.total_seconds()) if offset else 0
    return func.strftime("%m-%d", column, f"{seconds:+d} seconds")


@handler("anniversary", "daily")
def anniversary(session: Session, params: Params, at: datetime, ids: Sequence[int] | None) -> Scan:
    """``days_before`` days before the registration anniversary; once per customer and year."""
    ahead = int(params.get("days_before", 0))
    targets = [t for t in _days(params, at, ahead) if t >= today(at)]
    entries = []
    for target in targets:
        md = _local_md(session, Customer.registered_at, target)
        stmt = _live(select(Customer.id, Customer.registered_at)).where(
            Customer.registered_at.is_not(None),
            Customer.registered_at < start_of_day(date(target.year, 1, 1), zone()),
            md == f"{target.month:02d}-{target.day:02d}",
        )
        for cid, registered in session.execute(stmt):
            years = target.year - to_shop_tz(registered, zone()).year
            context = {"anniversary": target.isoformat(), "years": years}
            entries.append(Entry(cid, f"y{target.year}", at, at, context))
    return Scan(entries)


@handler("dormant", "daily")
def dormant(session: Session, params: Params, at: datetime, ids: Sequence[int] | None) -> Scan:
    """The customer's last order (not cancelled) was ``days`` days ago (shop days)."""
    days = int(params.get("days", 180))
    targets = _days(params, at, -days)
    later = aliased(Order)
    newer = exists().where(
        later.customer_id == Order.customer_id,
        later.status != "cancelled",
        later.placed_at > Order.placed_at,
    )
    stmt = select(Order.customer_id, Order.placed_at).where(
        Order.placed_at >= start_of_day(min(targets), zone()),
        Order.placed_at < start_of_day(max(targets) + timedelta(days=1), zone()),
        Order.customer_id.is_not(None),
        Order.status != "cancelled",
        ~newer,
    )
    entries: dict[Any, Entry] = {}
    rows: Any = session.execute(stmt)
    for cid, placed in rows:
        day = to_shop_tz(placed, zone()).date()
        entries[cid] = Entry(
            cid, f"d{day:%Y%m%d}", at, at, {"last_order_on": day.isoformat(), "days": days}
        )
    return Scan(list(entries.values()))


@handler("points_expiring", "daily")
def points_expiring(
    session: Session, params: Params, at: datetime, ids: Sequence[int] | None
) -> Scan:
    """Points whose last valid day is ``days`` days from today; once per customer and day."""
    targets = [t for t in _days(params, at, int(params.get("days", 30))) if t >= today(at)]
    if not targets:
        return Scan([])
    low = start_of_day(min(targets), zone())
    high = start_of_day(max(targets) + timedelta(days=1), zone())
    stmt = select(PointLot.customer_id, PointLot.expires_at, PointLot.remaining).where(
        PointLot.expires_at > low, PointLot.expires_at <= high, PointLot.remaining > 0
    )
    sums: dict[tuple[int, date], int] = {}
    for cid, expires, remaining in session.execute(stmt):
        assert expires is not None
        last = to_shop_tz(expires - timedelta(microseconds=1), zone()).date()
        sums[(cid, last)] = sums.get((cid, last), 0) + remaining
    minimum = int(params.get("min_points", 1))
    return Scan(
        [
            Entry(cid, f"x{day:%Y%m%d}", at, at, {"expires_on": day.isoformat(), "points": points})
            for (cid, day), points in sums.items()
            if points >= minimum
        ]
    )


@handler("warranty_expiring", "daily")
def warranty_expiring(
    session: Session, params: Params, at: datetime, ids: Sequence[int] | None
) -> Scan:
    """An active extended warranty whose last covered day is ``days_before`` (30) days from
    today; once per warranty enrolment."""
    targets = [t for t in _days(params, at, int(params.get("days_before", 30))) if t >= today(at)]
    if not targets:
        return Scan([])
    stmt = select(
        WarrantyEnrolment.id,
        WarrantyEnrolment.customer_id,
        WarrantyEnrolment.sku,
        WarrantyEnrolment.order_id,
        WarrantyEnrolment.ends_on,
    ).where(
        WarrantyEnrolment.status == "active",
        WarrantyEnrolment.customer_id.is_not(None),
        WarrantyEnrolment.ends_on >= min(targets),
        WarrantyEnrolment.ends_on <= max(targets),
    )
    entries = []
    for wid, cid, sku, oid, ends in session.execute(stmt):
        assert cid is not None
        context = {
            "warranty_id": wid,
            "sku": sku,
            "order_id": oid,
            "warranty_ends_on": ends.isoformat(),
        }
        entries.append(Entry(cid, f"w{wid}", at, at, context))
    return Scan(entries)


@handler("reward_usable", "daily")
def reward_usable(
    session: Session, params: Params, at: datetime, ids: Sequence[int] | None
) -> Scan:
    """The spendable balance is at least ``threshold``; at most once per ``every_days`` (30)."""
    threshold = int(params.get("threshold", 500))
    every = max(int(params.get("every_days", 30)), 1)
    live = or_(PointLot.expires_at.is_(None), PointLot.expires_at > at)
    total = func.sum(PointLot.remaining)
    stmt = (
        select(PointLot.customer_id, total)
        .where(PointLot.remaining != 0, live)
        .group_by(PointLot.customer_id)
        .having(total >= threshold)
    )
    period = f"r{today(at).toordinal() // every}"
    return Scan(
        [Entry(cid, period, at, at, {"points": int(p)}) for cid, p in session.execute(stmt)]
    )


@handler("stage_changed", "daily")
def stage_changed(
    session: Session, params: Params, at: datetime, ids: Sequence[int] | None
) -> Scan:
    """The member stage went ``direction`` (up or down), optionally ``to`` given stages."""
    reason = "demoted" if params.get("direction", "up") == "down" else "promoted"
    lowest = at - timedelta(days=max(int(params.get("catch_up_days", 2)), 1))
    stmt = select(
        StageChange.id,
        StageChange.customer_id,
        StageChange.from_stage,
        StageChange.to_stage,
        StageChange.at,
    ).where(StageChange.reason == reason, StageChange.at > lowest, StageChange.at <= at)
    if params.get("to"):
        stmt = stmt.where(StageChange.to_stage.in_(list(params["to"])))
    return Scan(
        [
            Entry(cid, f"sc{sid}", moment, at, {"from_stage": before, "to_stage": after})
            for sid, cid, before, after, moment in session.execute(stmt)
        ]
    )


@handler("entered_rank", "daily")
def entered_rank(session: Session, params: Params, at: datetime, ids: Sequence[int] | None) -> Scan:
    """The customer entered ``rank`` (or one of ``ranks``) in the analytics rank history."""
    if session.scalar(select(func.count()).select_from(SnapshotRun)) == 0:
        return Scan(
            [], "no rank snapshot has been taken yet (analytics snapshots): nothing to compare"
        )
    ranks = list(params.get("ranks") or [params.get("rank", "dormant")])
    days = _days(params, at, 0)
    stmt = select(RankSpell.customer_id, RankSpell.rank, RankSpell.valid_from).where(
        RankSpell.rank.in_(ranks),
        RankSpell.valid_from >= min(days),
        RankSpell.valid_from <= max(days),
    )
    return Scan(
        [
            Entry(cid, f"{rank[:40]}{start:%Y%m%d}", at, at, {"rank": rank})
            for cid, rank, start in session.execute(stmt)
        ]
    )


@handler("segment_entered", "daily")
def segment_entered(
    session: Session, params: Params, at: datetime, ids: Sequence[int] | None
) -> Scan:
    """The customer is in the segment now and was not at the previous scan. The first scan only
    records who is in (unless ``enrol_existing``), so switching a journey on sends nothing to
    the whole segment."""
    members = segment_member_ids(session, params, today(at))
    key = str(params["_journey"])
    before = set(
        session.scalars(select(SegmentMember.customer_id).where(SegmentMember.journey_key == key))
    )
    first = not before and not params.get("enrol_existing", False) and _never_scanned(session, key)
    gone, new = before - members, sorted(members - before)
    for part in chunks(sorted(gone), 5000):
        session.execute(
            delete(SegmentMember).where(
                SegmentMember.journey_key == key, SegmentMember.customer_id.in_(part)
            )
        )
    bulk = Bulk(session)
    stamp = bulk.time(at)
    bulk.executemany(
        "INSERT INTO journey_segment_members (journey_key, customer_id, since) VALUES (?, ?, ?)",
        [(key, cid, stamp) for cid in new],
    )
    if first:
        return Scan([], f"first scan: {len(new)} customers already in the segment, none enrolled")
    occurrence = f"g{today(at):%Y%m%d}"
    return Scan([Entry(cid, occurrence, at, at) for cid in new])


def _never_scanned(session: Session, key: str) -> bool:
    return (
        session.scalar(
            select(func.count()).select_from(Enrolment).where(Enrolment.journey_key == key)
        )
        == 0
    )


def segment_member_ids(session: Session, params: Params, as_of: date) -> set[int]:
    """Customer ids in the segment named by ``params`` (saved ``segment`` or ``definition``)."""
    from kizuna.analytics.backends import connect
    from kizuna.analytics.segments.compile import SegmentBase, segment_members
    from kizuna.analytics.segments.definition import SegmentDefinition

    document = params.get("definition")
    if document is None:
        row = session.scalars(
            select(SavedSegment).where(SavedSegment.name == params["segment"])
        ).first()
        if row is None:
            raise LookupError(f"no saved segment named {params['segment']!r}")
        document = row.definition
    definition = SegmentDefinition.model_validate(document)
    url = session.get_bind().engine.url.render_as_string(hide_password=False)
    con = connect(url)
    try:
        base = SegmentBase.build(con, as_of, zone=zone())
        table = segment_members(base, definition).select("customer_id").to_pyarrow()
    finally:
        con.disconnect()
    return {int(c) for c in table.column("customer_id").to_pylist()}
