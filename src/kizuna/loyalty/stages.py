"""Member stages for one customer: where they stand, what is left to the next stage, when the
current stage would lapse, evaluation on each order, and the history with reasons.

**The rule** (``decide``, mirrored in SQL by ``stage_eval.evaluate_all_stages``): a member is
entitled to the highest stage their qualifying amount reaches. Promotion is immediate. When an
evaluation finds a member below their stage, a grace period starts (``short_since``); a later
evaluation demotes them once ``grace_days`` have passed and they are still short. Qualifying
again ends the grace period. Evaluations run on each order and monthly on the 1st, so the
predicted lapse date is the first monthly evaluation on or after the day the qualifying amount
would fall short, plus the grace period.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.kit.clock import now
from kizuna.kit.money import format_yen
from kizuna.loyalty.dates import first_of_next_month, local_date, rolling_drop
from kizuna.loyalty.locking import lock_customer
from kizuna.loyalty.models import LoyaltyAccount, StageChange
from kizuna.loyalty.programme import Programme, Stage
from kizuna.loyalty.qualifying import qualifying_amount, window, window_orders
from kizuna.loyalty.versions import active_programme


@dataclass(frozen=True, slots=True)
class Decision:
    stage: str
    short_since: date | None
    reason: str | None


def decide(
    programme: Programme,
    current: str | None,
    short_since: date | None,
    qualifying: int,
    today: date,
) -> Decision:
    """The stage after an evaluation on ``today`` (pure; see the module docstring)."""
    entitled = programme.entitled(qualifying)
    rank = programme.rank(current)
    if rank < 0:
        return Decision(entitled.code, None, "joined" if current is None else "programme_changed")
    if programme.rank(entitled.code) >= rank:
        reason = "promoted" if programme.rank(entitled.code) > rank else None
        return Decision(entitled.code, None, reason)
    short = short_since or today
    if short + timedelta(days=programme.qualification.grace_days) <= today:
        return Decision(entitled.code, None, "demoted")
    return Decision(current or entitled.code, short, None if short_since else "grace_started")


@dataclass(frozen=True, slots=True)
class StageStatus:
    """Everything the storefront and the support desk show about a member's stage."""

    customer_id: int
    stage: str
    stage_name: dict[str, str]
    since: date | None
    basis: str
    qualifying: int
    period_first: date | None
    period_last: date | None
    next_stage: str | None
    next_stage_name: dict[str, str] | None
    gap: int | None
    deadline: date | None
    keep_gap: int | None
    short_since: date | None
    lapse_date: date | None
    message: dict[str, str]

    def as_dict(self) -> dict[str, Any]:
        """JSON form (dates as ISO strings)."""
        return {k: v.isoformat() if isinstance(v, date) else v for k, v in asdict(self).items()}


def _amount(programme: Programme, amount: int) -> str:
    return format_yen(amount) if programme.qualification.basis == "spend" else f"{amount:,} pt"


def gap_message(
    programme: Programme,
    stage: Stage,
    nxt: Stage | None,
    gap: int | None,
    deadline: date | None,
    language: str,
) -> str:
    """ "¥3,200 more to Gold by 2027-03-31" / "ゴールドまであと¥3,200（2027年3月31日まで）"."""
    if nxt is None or gap is None:
        if language == "ja":
            return f"最上位ステージ「{stage.name_ja}」です"
        return f"You are at the top stage, {stage.name_en}"
    amount = _amount(programme, gap)
    if language == "ja":
        by = f"（{deadline.year}年{deadline.month}月{deadline.day}日まで）" if deadline else ""
        return f"{nxt.name_ja}まであと{amount}{by}"
    return f"{amount} more to {nxt.name_en}" + (f" by {deadline.isoformat()}" if deadline else "")


def _account(session: Session, customer_id: int) -> LoyaltyAccount | None:
    return session.get(LoyaltyAccount, customer_id)


def stage_status(session: Session, customer_id: int, *, at: datetime | None = None) -> StageStatus:
    """The member's stage, qualifying amount, next stage, gap and deadline, and lapse date."""
    at = at or now()
    programme = active_programme(session, at)
    account = _account(session, customer_id)
    today = local_date(at)
    qualifying = qualifying_amount(session, programme, customer_id, at)
    stage = programme.stage(account.stage if account else None)
    if account is None or account.stage is None:
        stage = programme.entitled(qualifying)
    rank = programme.rank(stage.code)
    nxt = programme.stages[rank + 1] if rank + 1 < len(programme.stages) else None
    span = window(programme.qualification, today)
    orders = window_orders(session, programme, customer_id, at) if span.first else []
    deadline = span.last
    if programme.qualification.period == "rolling_months" and orders:
        deadline = rolling_drop(orders[0][0], programme.qualification.months) - timedelta(days=1)
    gap = max(0, nxt.min_qualifying - qualifying) if nxt else None
    short_since = account.short_since if account else None
    lapse = _lapse(programme, stage, qualifying, orders, span.last, short_since)
    return StageStatus(
        customer_id=customer_id,
        stage=stage.code,
        stage_name={"ja": stage.name_ja, "en": stage.name_en},
        since=account.stage_since if account else None,
        basis=programme.qualification.basis,
        qualifying=qualifying,
        period_first=span.first,
        period_last=span.last,
        next_stage=nxt.code if nxt else None,
        next_stage_name={"ja": nxt.name_ja, "en": nxt.name_en} if nxt else None,
        gap=gap,
        deadline=deadline if nxt else None,
        keep_gap=max(0, stage.min_qualifying - qualifying) or None,
        short_since=short_since,
        lapse_date=lapse,
        message={
            lang: gap_message(programme, stage, nxt, gap, deadline, lang) for lang in ("ja", "en")
        },
    )


def _lapse(
    programme: Programme,
    stage: Stage,
    qualifying: int,
    orders: list[tuple[date, int]],
    period_last: date | None,
    short_since: date | None,
) -> date | None:
    """When the stage would end if the member bought nothing more (None: it cannot lapse)."""
    grace = timedelta(days=programme.qualification.grace_days)
    if short_since is not None:
        return short_since + grace
    if stage.min_qualifying == 0 or programme.qualification.period == "lifetime":
        return None
    drop: date | None = None
    if programme.qualification.period == "year" and period_last is not None:
        drop = period_last + timedelta(days=1)
    else:
        left = qualifying
        for day, amount in orders:
            left -= amount
            if left < stage.min_qualifying:
                drop = rolling_drop(day, programme.qualification.months)
                break
        if drop is None:
            return None
    return first_of_next_month(drop) + grace


def next_stage_gap(
    session: Session, customer_id: int, *, at: datetime | None = None, language: str = "ja"
) -> str:
    """The storefront line: "¥3,200 more to Gold by 2027-03-31" (or its Japanese)."""
    return stage_status(session, customer_id, at=at).message[language]


def evaluate_stage(
    session: Session,
    customer_id: int,
    *,
    at: datetime | None = None,
    order_id: int | None = None,
    actor: str = "system",
) -> Decision:
    """Re-evaluate one member now (after an order: pass ``order_id``); writes the account and,
    when something changed, a history row."""
    at = at or now()
    lock_customer(session, customer_id)
    programme = active_programme(session, at)
    account = session.get_one(LoyaltyAccount, customer_id)
    session.refresh(account)
    qualifying = qualifying_amount(session, programme, customer_id, at)
    today = local_date(at)
    result = decide(programme, account.stage, account.short_since, qualifying, today)
    if result.reason is not None:
        session.add(
            StageChange(
                customer_id=customer_id,
                from_stage=account.stage,
                to_stage=result.stage,
                reason=result.reason,
                qualifying=qualifying,
                threshold=programme.stage(result.stage).min_qualifying,
                programme_version=programme.version,
                order_id=order_id,
                actor=actor,
                at=at,
            )
        )
    if account.stage != result.stage:
        account.stage_since = today
    account.stage, account.short_since = result.stage, result.short_since
    account.qualifying, account.evaluated_at = qualifying, at
    session.flush()
    return result


@dataclass(frozen=True, slots=True)
class StageChangeView:
    at: datetime
    from_stage: str | None
    to_stage: str
    reason: str
    qualifying: int
    threshold: int
    order_id: int | None
    actor: str


def stage_history(session: Session, customer_id: int) -> list[StageChangeView]:
    """The member's stage changes, newest first, with reasons."""
    rows = session.scalars(
        select(StageChange)
        .where(StageChange.customer_id == customer_id)
        .order_by(StageChange.at.desc(), StageChange.id.desc())
    )
    return [
        StageChangeView(
            r.at, r.from_stage, r.to_stage, r.reason, r.qualifying, r.threshold, r.order_id, r.actor
        )
        for r in rows
    ]
