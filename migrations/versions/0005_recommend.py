"""Recommendations: precomputed lists, best-sellers, content slot documents, run log

Revision ID: 0005_recommend
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kizuna.kit.db

revision: str = "0005_recommend"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
STAMP = kizuna.kit.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "recommend_customers",
        sa.Column("customer_id", BIG_ID, nullable=False),
        sa.Column("items", JSON_DOC, nullable=False),
        sa.Column("gift_sku", sa.String(length=64), nullable=True),
        sa.Column("gift_reason", sa.String(length=16), nullable=True),
        sa.Column("stage", sa.String(length=32), nullable=True),
        sa.Column("rank", sa.String(length=32), nullable=True),
        sa.Column("segments", JSON_DOC, nullable=False),
        sa.Column("built_at", STAMP, nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_recommend_customers_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_recommend_customers")),
    )
    op.create_table(
        "recommend_products",
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("related", JSON_DOC, nullable=False),
        sa.Column("alternatives", JSON_DOC, nullable=False),
        sa.Column("built_at", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("sku", name=op.f("pk_recommend_products")),
    )
    op.create_table(
        "recommend_popular",
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("items", JSON_DOC, nullable=False),
        sa.Column("built_at", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_recommend_popular")),
    )
    op.create_table(
        "recommend_content",
        sa.Column("slot", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", JSON_DOC, nullable=False),
        sa.Column("author", sa.String(length=120), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", STAMP, nullable=False),
        sa.PrimaryKeyConstraint("slot", "version", name=op.f("pk_recommend_content")),
    )
    op.create_table(
        "recommend_runs",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("started_at", STAMP, nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        sa.Column("report", JSON_DOC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recommend_runs")),
    )
    op.create_index("ix_recommend_runs_kind_id", "recommend_runs", ["kind", "id"])


def downgrade() -> None:
    op.drop_index("ix_recommend_runs_kind_id", table_name="recommend_runs")
    op.drop_table("recommend_runs")
    op.drop_table("recommend_content")
    op.drop_table("recommend_popular")
    op.drop_table("recommend_products")
    op.drop_table("recommend_customers")
