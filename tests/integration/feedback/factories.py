"""Factories for the after-purchase tests: customers, products and orders recorded through the
record's own services, so the feedback code sees the rows the importer writes."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kizuna.catalog.models import Product
from kizuna.customers.models import Customer
from kizuna.feedback.surveys import QuestionIn, SurveyIn, do_create_survey
from kizuna.orders.models import Order
from kizuna.orders.schemas import LineIn, OrderIn
from kizuna.orders.service import store_orders

T0 = datetime(2026, 5, 10, 3, 0, tzinfo=UTC)  # 2026-05-10 12:00 JST
BEANS = LineIn("BEAN-1", 2, 1800, 3600, "深煎りブレンド 200g")
MUG = LineIn("CUP-1", 1, 2500, 2500, "有田焼マグカップ")


def customer(session: Session, external_id: str = "C1", **fields: object) -> int:
    """A member; its id."""
    row = Customer(external_id=external_id, is_member=True, family_name="山田", **fields)
    session.add(row)
    session.flush()
    return row.id


def order(
    session: Session,
    customer_external_id: str | None,
    number: str,
    lines: tuple[LineIn, ...] = (BEANS, MUG),
    *,
    at: datetime = T0,
    status: str = "paid",
    discount: int = 0,
) -> int:
    """An order (products created as stubs); its id."""
    store_orders(
        session,
        [
            OrderIn(
                order_number=number,
                placed_at=at,
                lines=lines,
                customer=customer_external_id,
                status=status,
                discount=discount,
                guest_email=None if customer_external_id else "guest@example.jp",
            )
        ],
    )
    return session.execute(select(Order.id).where(Order.order_number == number)).scalar_one()


def name_product(session: Session, sku: str, name: str) -> None:
    session.execute(select(Product).where(Product.sku == sku)).scalar_one().name = name
    session.flush()


NPS_SURVEY = SurveyIn(
    code="after-delivery",
    kind="nps",
    title_ja="お買い物アンケート",
    title_en="Shopping survey",
    questions=(
        QuestionIn("nps", "nps", "友人にすすめますか？", "Would you recommend us to a friend?"),
        QuestionIn(
            "packing",
            "csat",
            "梱包の満足度",
            "How satisfied were you with the packing?",
            required=False,
        ),
        QuestionIn(
            "found",
            "choice",
            "どこで知りましたか？",
            "Where did you hear of us?",
            required=False,
            choices=(("sns", "SNS", "Social media"), ("friend", "友人", "A friend")),
        ),
        QuestionIn("comment", "text", "ご意見・ご感想", "Anything else?", required=False),
    ),
)


def nps_survey(session: Session) -> int:
    """The after-delivery NPS survey; its id."""
    return do_create_survey(session, NPS_SURVEY, actor="marketer@example.jp").id


def ledger(session: Session, customer_id: int) -> list[tuple[str, int, str]]:
    """The customer's point entries as ``(kind, points, reason)``, oldest first."""
    from kizuna.loyalty.ledger.models import PointEntry

    rows = session.execute(
        select(PointEntry.kind, PointEntry.points, PointEntry.reason)
        .where(PointEntry.customer_id == customer_id)
        .order_by(PointEntry.id)
    )
    return [tuple(row) for row in rows]  # type: ignore[misc]
