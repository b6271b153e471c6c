"""The demo shop's life after the orders: points, stages, rank history and the voice of the
customer, so every dashboard page opens on data.

* **Points**: each member's balance as the shop's previous system would hand it over (1% of
  the goods bought in each of the last twelve months, less the points used, earliest month
  first), imported as opening balances; the newest member orders then earn through the real
  earn rules. The monthly stage evaluation follows.
* **Rank history**: a rank snapshot on the first of each of the last six months and today, so
  migration between any two of those dates can be read.
* **Voice of the customer**: an NPS survey after delivery with answers from a sample of recent
  buyers (better ranks answer higher), reviews of products they bought (most approved, some
  waiting for moderation), and support tickets (most resolved, a few open).

Everything is keyed, so running it again changes nothing.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from kizuna.analytics.models import SnapshotRun
from kizuna.analytics.snapshots import take_snapshot
from kizuna.customers.models import Customer
from kizuna.feedback import reviews, surveys, tickets
from kizuna.ingest.after_purchase import answer_survey, moderate_review, submit_review
from kizuna.kit.db import session_scope
from kizuna.kit.errors import KizunaError
from kizuna.loyalty.ledger.common import lot_expiry
from kizuna.loyalty.ledger.earning import do_earn_for_order
from kizuna.loyalty.ledger.opening import OpeningLot, do_import_opening_balances
from kizuna.loyalty.tasks import evaluate_stages
from kizuna.loyalty.versions import active_programme
from kizuna.orders.models import Order, OrderLine

SURVEY = "after-delivery-nps"
EARN_RATE = 0.01
LIVE_EARNS = 200
COMMENTS = {
    "promoter": (
        "丁寧な梱包で安心です。", "発送が早くて助かりました。", "品質が良くリピート中です。"
    ),
    "passive": ("おおむね満足です。", "もう少し品揃えが増えると嬉しいです。"),
    "detractor": ("到着が予定より遅れました。", "サイズ表記が分かりにくかったです。"),
}  # fmt: skip
REVIEW_TEXT = {
    5: ("大満足", "期待以上の品質でした。また購入します。"),
    4: ("良い商品", "使いやすく満足しています。"),
    3: ("普通", "値段相応だと思います。"),
    2: ("いまひとつ", "思っていた色と少し違いました。"),
}
TICKETS = [
    ("delivery", "inquiry", "配送状況を教えてください"),
    ("product", "inquiry", "サイズ交換はできますか"),
    ("quality", "complaint", "商品に傷がありました"),
    ("points", "inquiry", "ポイントが反映されていません"),
    ("order_change", "request", "お届け先を変更したい"),
    ("payment", "inquiry", "請求金額の確認"),
]


def seed_activity(
    sessions: sessionmaker[Session], database_url: str, today: date, seed: int
) -> dict[str, Any]:
    """Points, stages, rank snapshots and feedback for the demo shop loaded by ``run_demo``."""
    at = datetime(today.year, today.month, today.day, 3, 0, tzinfo=UTC)  # 12:00 JST
    rng = np.random.default_rng(seed)
    report: dict[str, Any] = {"seconds": {}}
    steps: list[tuple[str, Callable[[], Any]]] = [
        ("points", lambda: _points(sessions, at)),
        ("stages", lambda: asdict(evaluate_stages(sessions, at=at))),
        ("snapshots", lambda: _snapshots(sessions, database_url, today)),
        ("feedback", lambda: _feedback(sessions, at, rng)),
    ]
    for name, step in steps:
        started = time.perf_counter()
        report[name] = step()
        report["seconds"][name] = round(time.perf_counter() - started, 3)
    return report


def _points(sessions: sessionmaker[Session], at: datetime) -> dict[str, int]:
    """Opening balances from the last twelve months, then the newest orders earn for real."""
    since = at - timedelta(days=365)
    with session_scope(sessions) as session:
        programme = active_programme(session, at)
        rows = session.execute(
            select(Order.customer_id, Order.placed_at, Order.subtotal - Order.discount,
                   Order.points_used)
            .join(Customer, Customer.id == Order.customer_id)
            .where(Customer.is_member, Order.status != "cancelled", Order.placed_at >= since,
                   Order.placed_at < at - timedelta(days=2))
        ).all()  # fmt: skip
        earned: dict[int, dict[str, list[Any]]] = defaultdict(dict)
        used: dict[int, int] = defaultdict(int)
        for customer_id, placed_at, goods, points_used in rows:
            assert customer_id is not None  # joined to customers
            month = earned[customer_id].setdefault(f"{placed_at:%Y-%m}", [0, placed_at])
            month[0] += int(goods * EARN_RATE)
            month[1] = max(month[1], placed_at)
            used[customer_id] += points_used
        lots = []
        for customer_id, months in earned.items():
            spend = used[customer_id]
            for ref, (points, last_at) in sorted(months.items()):
                left, spend = max(points - spend, 0), max(spend - points, 0)
                if left > 0:
                    expiry = lot_expiry(programme, last_at)
                    lots.append(OpeningLot(customer_id, left, last_at, expiry, ref=ref))
        counts = do_import_opening_balances(session, lots, source="demo", actor="demo")
    return {"opening_lots": counts.inserted + counts.unchanged, "live_earns": _earn(sessions, at)}


def _earn(sessions: sessionmaker[Session], at: datetime) -> int:
    """The newest member orders (the last two days) earn through the programme's rules."""
    with session_scope(sessions) as session:
        ids = session.scalars(
            select(Order.id).join(Customer, Customer.id == Order.customer_id)
            .where(Customer.is_member, Order.placed_at >= at - timedelta(days=2))
            .order_by(Order.placed_at.desc()).limit(LIVE_EARNS)
        ).all()  # fmt: skip
    earned = 0
    for order_id in sorted(ids):
        with session_scope(sessions) as session:
            earned += do_earn_for_order(session, order_id) is not None
    return earned


def _snapshots(
    sessions: sessionmaker[Session], database_url: str, today: date
) -> list[dict[str, Any]]:
    """Rank snapshots on the first of each of the last six months, then today (history is
    written forwards, so days up to the newest snapshot already taken are left as they are)."""
    with session_scope(sessions) as session:
        newest = session.scalar(select(func.max(SnapshotRun.as_of)))
    first = today.replace(day=1)
    days = [_months_before(first, n) for n in range(6, 0, -1)] + [first, today]
    due = sorted(day for day in set(days) if newest is None or day > newest)
    return [take_snapshot(database_url, as_of=day).to_dict() for day in due]


def _months_before(day: date, n: int) -> date:
    month = day.month - 1 - n
    return date(day.year + month // 12, month % 12 + 1, 1)


def _feedback(sessions: sessionmaker[Session], at: datetime, rng: np.random.Generator) -> dict:
    """NPS answers, reviews and tickets from a sample of the last six months' buyers."""
    with session_scope(sessions) as session:
        if session.scalar(select(surveys.Survey.id).where(surveys.Survey.code == SURVEY)) is None:
            surveys.do_create_survey(session, _nps_survey(), actor="demo")
        recent = session.execute(
            select(Order.id, Order.customer_id, Order.order_number, Order.placed_at,
                   Order.subtotal)
            .join(Customer, Customer.id == Order.customer_id)
            .where(Customer.is_member, Order.status != "cancelled",
                   Order.placed_at >= at - timedelta(days=180), Order.placed_at < at)
            .order_by(Order.id)
        ).all()  # fmt: skip
    size = min(len(recent), 600)
    picked = [recent[i] for i in sorted(rng.choice(len(recent), size, replace=False))]
    counts = {"responses": 0, "reviews": 0, "tickets": 0}
    skipped: dict[str, int] = {}
    for k, (order_id, customer_id, number, placed_at, subtotal) in enumerate(picked):
        answered = placed_at + timedelta(days=int(rng.integers(3, 8)))
        done = {"responses": 0, "reviews": 0, "tickets": 0}
        with session_scope(sessions) as session:
            try:
                if k % 4 != 3:
                    _answer(session, order_id, customer_id, subtotal, min(answered, at), rng)
                    done["responses"] = 1
                if k % 3 == 0:
                    done["reviews"] = _review(session, order_id, customer_id, k, at, rng)
                if k % 10 == 0:
                    _ticket(session, customer_id, number, k, min(answered, at))
                    done["tickets"] = 1
            except KizunaError as refused:  # what the domain refuses is left out, and counted
                session.rollback()
                skipped[refused.code] = skipped.get(refused.code, 0) + 1
                continue
        for name, n in done.items():
            counts[name] += n
    return {**counts, "skipped": skipped}


def _nps_survey() -> surveys.SurveyIn:
    return surveys.SurveyIn(
        code=SURVEY, kind="nps", title_ja="お買い物アンケート", title_en="How was your order?",
        questions=(
            surveys.QuestionIn("nps", "nps", "このお店を友人や知人に薦めたいと思いますか？",
                               "How likely are you to recommend us to a friend?"),
            surveys.QuestionIn("comment", "text", "ご意見・ご感想", "Anything to tell us?",
                               required=False),
        ),
    )  # fmt: skip


def _answer(session: Session, order_id: int, customer_id: int, subtotal: int, at: datetime,
            rng: np.random.Generator) -> None:  # fmt: skip
    lean = min(subtotal / 20_000, 1.5)  # bigger baskets, happier customers (on average)
    score = int(np.clip(np.round(rng.normal(7.2 + lean, 2.0)), 0, 10))
    mood = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
    comment = str(rng.choice(COMMENTS[mood])) if rng.random() < 0.5 else None
    answer_survey(session, SURVEY, customer_id, {"nps": score, "comment": comment},
                  order_id=order_id, channel="email", at=at)  # fmt: skip


def _review(session: Session, order_id: int, customer_id: int, k: int, at: datetime,
            rng: np.random.Generator) -> int:  # fmt: skip
    sku = session.scalar(select(OrderLine.sku).where(OrderLine.order_id == order_id).limit(1))
    if sku is None:
        return 0
    rating = int(rng.choice([5, 5, 4, 4, 4, 3, 2]))
    title, body = REVIEW_TEXT[rating]
    item = reviews.ReviewIn(sku=sku, customer_id=customer_id, rating=rating, body=body,
                            title=title)  # fmt: skip
    stored = submit_review(session, item, reward="points" if k % 2 else "none", at=at)
    if k % 9 != 0:  # a few stay in the moderation queue
        moderate_review(session, stored.review_id, approve=True, actor="demo", at=at)
    return 1


def _ticket(session: Session, customer_id: int, number: str, k: int, at: datetime) -> None:
    category, kind, subject = TICKETS[(k // 10) % len(TICKETS)]
    opened = tickets.do_open_ticket(
        session,
        tickets.TicketIn(channel=("email", "chat", "phone")[k % 3], kind=kind, category=category,
                         subject=subject, customer_id=customer_id, order_number=number,
                         number=f"DEMO-{k:05d}", opened_at=at),
        actor="demo",
    )  # fmt: skip
    if k % 40 != 0:  # most are answered; a few are still open
        tickets.do_set_status(session, opened.ticket_id, "resolved", actor="demo", at=at)
