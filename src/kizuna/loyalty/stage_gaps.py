"""``next_stage_gap`` for many members at once: the same line ("¥3,200 more to Gold by
2027-03-31") computed set-based, with two queries per chunk of members (stage rows and the
qualifying amounts, plus the oldest counted order for a rolling window) instead of three per
member. A journey sending thousands of "points expiring" messages uses it. Reads only.

It applies the same rules as ``stages.stage_status`` (the programme in force, the stored stage
or else the stage the amount entitles to, the qualifying window and its deadline) and the same
wording (``stages.gap_message``); ``tests/integration/loyalty`` compares the two.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kizuna.kit.bulk import chunks
from kizuna.kit.clock import now
from kizuna.loyalty.dates import day_start, local_date, rolling_drop
from kizuna.loyalty.models import LoyaltyAccount
from kizuna.loyalty.programme import Programme
from kizuna.loyalty.qualifying import _order_filter, qualifying_select, window
from kizuna.loyalty.stages import gap_message
from kizuna.loyalty.versions import active_programme
from kizuna.orders.models import Order

CHUNK = 5000


def next_stage_gaps(
    session: Session, customer_ids: Collection[int], *, at: datetime | None = None
) -> dict[int, dict[str, str]]:
    """``{customer_id: {"ja": line, "en": line}}``, each line equal to ``next_stage_gap``'s."""
    at = at or now()
    programme = active_programme(session, at)
    out: dict[int, dict[str, str]] = {}
    for part in chunks(sorted(set(customer_ids)), CHUNK):
        stages = dict(
            session.execute(
                select(LoyaltyAccount.customer_id, LoyaltyAccount.stage).where(
                    LoyaltyAccount.customer_id.in_(part)
                )
            ).all()
        )
        sub = qualifying_select(programme, at, customer_ids=part).subquery()
        amounts: dict[int, int] = {
            int(cid): max(0, int(amount or 0))
            for cid, amount in session.execute(select(sub.c.customer_id, sub.c.amount))
        }
        oldest = _oldest_orders(session, programme, part, at)
        for cid in part:
            out[cid] = _lines(programme, stages.get(cid), amounts.get(cid, 0), oldest.get(cid), at)
    return out


def _oldest_orders(
    session: Session, programme: Programme, part: Sequence[int], at: datetime
) -> dict[int, date]:
    """The shop-local day of each member's oldest order in a rolling window (the deadline)."""
    if programme.qualification.period != "rolling_months":
        return {}
    span = window(programme.qualification, local_date(at))
    start = day_start(span.first) if span.first else None
    rows = session.execute(
        select(Order.customer_id, func.min(Order.placed_at))
        .where(*_order_filter(start, at), Order.customer_id.in_(part))
        .group_by(Order.customer_id)
    )
    return {int(c): local_date(_aware(placed)) for c, placed in rows if c and placed is not None}


def _aware(moment: datetime | str) -> datetime:
    # ``min()`` over a UTC column can come back from SQLite as naive text
    value = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _lines(
    programme: Programme, stored: str | None, qualifying: int, oldest: date | None, at: datetime
) -> dict[str, str]:
    stage = programme.stage(stored) if stored is not None else programme.entitled(qualifying)
    rank = programme.rank(stage.code)
    nxt = programme.stages[rank + 1] if rank + 1 < len(programme.stages) else None
    span = window(programme.qualification, local_date(at))
    deadline = span.last
    if programme.qualification.period == "rolling_months" and oldest is not None:
        deadline = rolling_drop(oldest, programme.qualification.months) - timedelta(days=1)
    gap = max(0, nxt.min_qualifying - qualifying) if nxt else None
    return {
        lang: gap_message(programme, stage, nxt, gap, deadline if nxt else None, lang)
        for lang in ("ja", "en")
    }
