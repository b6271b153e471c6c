"""analytics: rank policy versions, rank snapshot runs and spells, saved segments

Revision ID: 0002_analytics
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kizuna.kit.db

revision: str = "0002_analytics"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _time(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, kizuna.kit.db.UTCDateTime(timezone=True), nullable=nullable)


def _id() -> sa.Column:
    return sa.Column("id", BIG_ID, nullable=False)


def upgrade() -> None:
    op.create_table(
        "analytics_rank_policies",
        _id(),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", JSON_DOC, nullable=False),
        sa.Column("author", sa.String(length=120), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        _time("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_rank_policies")),
        sa.UniqueConstraint(
            "name", "version", name=op.f("uq_analytics_rank_policies_name_version")
        ),
    )
    op.create_table(
        "analytics_snapshot_runs",
        _id(),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("policy_name", sa.String(length=64), nullable=False),
        sa.Column("policy_version", sa.Integer(), nullable=False),
        sa.Column("engine", sa.String(length=16), nullable=False),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.Column("changed", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
        _time("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_snapshot_runs")),
        sa.UniqueConstraint("as_of", name=op.f("uq_analytics_snapshot_runs_as_of")),
    )
    op.create_table(
        "analytics_rank_spells",
        _id(),
        sa.Column("customer_id", sa.BigInteger(), nullable=False),
        sa.Column("rank", sa.String(length=32), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("run_id", BIG_ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["analytics_snapshot_runs.id"],
            name=op.f("fk_analytics_rank_spells_run_id_analytics_snapshot_runs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_rank_spells")),
    )
    op.create_index(
        "ix_analytics_rank_spells_customer",
        "analytics_rank_spells",
        ["customer_id", "valid_from"],
        unique=False,
    )
    op.create_index(
        "ix_analytics_rank_spells_valid_to", "analytics_rank_spells", ["valid_to"], unique=False
    )
    op.create_table(
        "analytics_segments",
        _id(),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("definition", JSON_DOC, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(length=120), nullable=False),
        _time("created_at"),
        _time("updated_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_analytics_segments")),
        sa.UniqueConstraint("name", name=op.f("uq_analytics_segments_name")),
    )


def downgrade() -> None:
    op.drop_table("analytics_segments")
    op.drop_index("ix_analytics_rank_spells_valid_to", table_name="analytics_rank_spells")
    op.drop_index("ix_analytics_rank_spells_customer", table_name="analytics_rank_spells")
    op.drop_table("analytics_rank_spells")
    op.drop_table("analytics_snapshot_runs")
    op.drop_table("analytics_rank_policies")
