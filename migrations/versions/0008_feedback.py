"""feedback and after-sales: surveys and answers, reviews, support tickets; tracking links,
delivery estimates, return requests, extended warranties (plans, enrolments, claims)

Revision ID: 0008_feedback
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kizuna.kit.db

revision: str = "0008_feedback"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _id() -> sa.Column:
    return sa.Column("id", BIG_ID, nullable=False)


def _ref(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, BIG_ID, nullable=nullable)


def _time(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, kizuna.kit.db.UTCDateTime(timezone=True), nullable=nullable)


def _str(name: str, length: int, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.String(length=length), nullable=nullable)


def _int(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.Integer(), nullable=nullable)


def _text(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.Text(), nullable=nullable)


def _fk(table: str, column: str, target: str, **kw: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"), **kw
    )


def _pk(table: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}"))


def _unique(table: str, *columns: str) -> sa.UniqueConstraint:
    return sa.UniqueConstraint(*columns, name=op.f(f"uq_{table}_{'_'.join(columns)}"))


def _index(table: str, name: str, columns: list[str]) -> None:
    op.create_index(name, table, columns, unique=False)


def upgrade() -> None:
    _surveys()
    _reviews_and_tickets()
    _tracking_and_returns()
    _warranties()


def _surveys() -> None:
    op.create_table(
        "surveys",
        _id(),
        _str("code", 64),
        _str("kind", 8),
        _str("title_ja", 200),
        _str("title_en", 200),
        _str("status", 8),
        _str("created_by", 120),
        _time("created_at"),
        _pk("surveys"),
        _unique("surveys", "code"),
    )
    op.create_table(
        "survey_questions",
        _id(),
        _ref("survey_id"),
        _int("position"),
        _str("code", 64),
        _str("kind", 8),
        _text("text_ja", nullable=False),
        _text("text_en", nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("choices", JSON_DOC, nullable=True),
        _fk("survey_questions", "survey_id", "surveys", ondelete="CASCADE"),
        _pk("survey_questions"),
        _unique("survey_questions", "survey_id", "code"),
    )
    op.create_table(
        "survey_responses",
        _id(),
        _ref("survey_id"),
        _ref("customer_id"),
        _ref("order_id", nullable=True),
        _str("subject", 40),
        _str("language", 2),
        _str("channel", 16),
        _time("submitted_at"),
        _fk("survey_responses", "customer_id", "customers"),
        _fk("survey_responses", "order_id", "orders"),
        _fk("survey_responses", "survey_id", "surveys"),
        _pk("survey_responses"),
        _unique("survey_responses", "survey_id", "customer_id", "subject"),
    )
    _index("survey_responses", "ix_survey_responses_customer_id", ["customer_id"])
    _index(
        "survey_responses", "ix_survey_responses_survey_submitted", ["survey_id", "submitted_at"]
    )
    op.create_table(
        "survey_answers",
        _id(),
        _ref("response_id"),
        _ref("question_id"),
        _int("score", nullable=True),
        _text("text"),
        _str("choice", 64, nullable=True),
        _fk("survey_answers", "question_id", "survey_questions"),
        _fk("survey_answers", "response_id", "survey_responses", ondelete="CASCADE"),
        _pk("survey_answers"),
        _unique("survey_answers", "response_id", "question_id"),
    )
    _index("survey_answers", "ix_survey_answers_question_id", ["question_id"])


def _reviews_and_tickets() -> None:
    op.create_table(
        "reviews",
        _id(),
        _ref("product_id"),
        _ref("customer_id"),
        _ref("order_id", nullable=True),
        _int("rating"),
        _str("title", 200, nullable=True),
        _text("body", nullable=False),
        _str("language", 2),
        _str("status", 10),
        _str("incentive", 8, nullable=True),
        _str("reward_ref", 64, nullable=True),
        _time("rewarded_at", nullable=True),
        _str("rejection_reason", 32, nullable=True),
        _text("rejection_note"),
        _str("moderated_by", 120, nullable=True),
        _time("moderated_at", nullable=True),
        _time("submitted_at"),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name=op.f("ck_reviews_rating_range")),
        _fk("reviews", "customer_id", "customers"),
        _fk("reviews", "order_id", "orders"),
        _fk("reviews", "product_id", "products"),
        _pk("reviews"),
        _unique("reviews", "product_id", "customer_id"),
    )
    _index("reviews", "ix_reviews_customer_id", ["customer_id"])
    _index("reviews", "ix_reviews_product_status", ["product_id", "status"])
    _index("reviews", "ix_reviews_status_submitted", ["status", "submitted_at"])
    op.create_table(
        "tickets",
        _id(),
        _str("number", 64),
        _ref("customer_id", nullable=True),
        _ref("order_id", nullable=True),
        _str("channel", 8),
        _str("kind", 10),
        _str("category", 32),
        _str("subject", 200),
        _str("status", 10),
        _str("priority", 8),
        _str("assignee", 120, nullable=True),
        _str("created_by", 120),
        _time("opened_at"),
        _time("resolved_at", nullable=True),
        _time("closed_at", nullable=True),
        _time("updated_at"),
        _fk("tickets", "customer_id", "customers"),
        _fk("tickets", "order_id", "orders"),
        _pk("tickets"),
        _unique("tickets", "number"),
    )
    _index("tickets", "ix_tickets_category_opened", ["category", "opened_at"])
    _index("tickets", "ix_tickets_customer_id", ["customer_id"])
    _index("tickets", "ix_tickets_status_opened", ["status", "opened_at"])
    op.create_table(
        "ticket_notes",
        _id(),
        _ref("ticket_id"),
        _str("kind", 16),
        _str("author", 120),
        _text("body"),
        sa.Column("detail", JSON_DOC, nullable=False),
        _time("at"),
        _fk("ticket_notes", "ticket_id", "tickets", ondelete="CASCADE"),
        _pk("ticket_notes"),
    )
    _index("ticket_notes", "ix_ticket_notes_ticket_id", ["ticket_id"])


def _tracking_and_returns() -> None:
    op.create_table(
        "tracking_links",
        _id(),
        _ref("order_id"),
        _str("token", 64),
        _int("views"),
        _time("last_viewed_at", nullable=True),
        _time("created_at"),
        _fk("tracking_links", "order_id", "orders"),
        _pk("tracking_links"),
        _unique("tracking_links", "order_id"),
        _unique("tracking_links", "token"),
    )
    op.create_table(
        "shipment_estimates",
        _id(),
        _ref("shipment_id"),
        sa.Column("estimated_on", sa.Date(), nullable=False),
        _str("source", 40),
        _time("updated_at"),
        _fk("shipment_estimates", "shipment_id", "shipments"),
        _pk("shipment_estimates"),
        _unique("shipment_estimates", "shipment_id"),
    )
    op.create_table(
        "return_requests",
        _id(),
        _str("number", 64),
        _ref("order_id"),
        _ref("customer_id", nullable=True),
        _str("channel", 16),
        _str("reason", 24),
        _text("note"),
        _str("status", 10),
        _int("refund_amount"),
        sa.Column("pickup_on", sa.Date(), nullable=True),
        _str("store_code", 32, nullable=True),
        _time("requested_at"),
        _time("decided_at", nullable=True),
        _str("decided_by", 120, nullable=True),
        _text("decision_note"),
        _time("received_at", nullable=True),
        _time("refunded_at", nullable=True),
        _ref("return_id", nullable=True),
        _fk("return_requests", "customer_id", "customers"),
        _fk("return_requests", "order_id", "orders"),
        _fk("return_requests", "return_id", "returns"),
        _pk("return_requests"),
        _unique("return_requests", "number"),
    )
    _index("return_requests", "ix_return_requests_customer_id", ["customer_id"])
    _index("return_requests", "ix_return_requests_order_id", ["order_id"])
    _index("return_requests", "ix_return_requests_status_requested", ["status", "requested_at"])
    op.create_table(
        "return_request_lines",
        _id(),
        _ref("request_id"),
        _int("line_no"),
        _str("sku", 64),
        _int("quantity"),
        _int("amount"),
        _fk("return_request_lines", "request_id", "return_requests", ondelete="CASCADE"),
        _pk("return_request_lines"),
        _unique("return_request_lines", "request_id", "line_no"),
    )


def _warranties() -> None:
    op.create_table(
        "warranty_plans",
        _id(),
        _str("code", 64),
        _str("sku", 64),
        _str("name_ja", 200),
        _str("name_en", 200),
        _int("term_months"),
        _int("price"),
        sa.Column("coverage", JSON_DOC, nullable=False),
        _int("max_claims", nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        _str("created_by", 120),
        _time("created_at"),
        _pk("warranty_plans"),
        _unique("warranty_plans", "code"),
        _unique("warranty_plans", "sku"),
    )
    op.create_table(
        "warranty_enrolments",
        _id(),
        _ref("plan_id"),
        _ref("order_id"),
        _ref("customer_id", nullable=True),
        _int("line_no"),
        _str("sku", 64),
        _int("warranty_line_no", nullable=True),
        _int("price"),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        _str("status", 10),
        _time("cancelled_at", nullable=True),
        _time("created_at"),
        _fk("warranty_enrolments", "customer_id", "customers"),
        _fk("warranty_enrolments", "order_id", "orders"),
        _fk("warranty_enrolments", "plan_id", "warranty_plans"),
        _pk("warranty_enrolments"),
        _unique("warranty_enrolments", "order_id", "line_no"),
    )
    _index("warranty_enrolments", "ix_warranty_enrolments_customer_id", ["customer_id"])
    _index("warranty_enrolments", "ix_warranty_enrolments_ends_on", ["ends_on"])
    op.create_table(
        "warranty_claims",
        _id(),
        _ref("enrolment_id"),
        _text("description", nullable=False),
        _str("status", 10),
        _str("resolution", 12, nullable=True),
        _int("cost"),
        _text("note"),
        _time("opened_at"),
        _time("decided_at", nullable=True),
        _str("decided_by", 120, nullable=True),
        _fk("warranty_claims", "enrolment_id", "warranty_enrolments"),
        _pk("warranty_claims"),
    )
    _index("warranty_claims", "ix_warranty_claims_enrolment_id", ["enrolment_id"])


def downgrade() -> None:
    for table in (
        "warranty_claims", "warranty_enrolments", "warranty_plans", "return_request_lines",
        "return_requests", "shipment_estimates", "tracking_links", "ticket_notes", "tickets",
        "reviews", "survey_answers", "survey_responses", "survey_questions", "surveys",
    ):  # fmt: skip
        op.drop_table(table)
