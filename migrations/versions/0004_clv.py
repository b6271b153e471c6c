"""CLV fits and per-customer predictions

Revision ID: 0004_clv
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kizuna.kit.db

revision: str = "0004_clv"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "clv_fits",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("model", sa.String(length=8), nullable=False),
        sa.Column("fitted_at", kizuna.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("time_unit", sa.String(length=4), nullable=False),
        sa.Column("calibration_end", sa.Date(), nullable=False),
        sa.Column("data_end", sa.Date(), nullable=False),
        sa.Column("customers", sa.Integer(), nullable=False),
        sa.Column("params", JSON_DOC, nullable=False),
        sa.Column("standard_errors", JSON_DOC, nullable=False),
        sa.Column("log_likelihood", sa.Float(), nullable=False),
        sa.Column("holdout_error_pct", sa.Float(), nullable=True),
        sa.Column("report", JSON_DOC, nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clv_fits")),
    )
    op.create_table(
        "clv_predictions",
        sa.Column("customer_id", BIG_ID, nullable=False),
        sa.Column("fit_id", BIG_ID, nullable=False),
        sa.Column("computed_at", kizuna.kit.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("p_alive", sa.Float(), nullable=False),
        sa.Column("expected_purchases", sa.Float(), nullable=False),
        sa.Column("expected_spend", sa.Float(), nullable=False),
        sa.Column("clv", sa.Float(), nullable=False),
        sa.Column("churn_risk_90d", sa.Float(), nullable=False),
        sa.Column("next_order_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_clv_predictions_customer_id_customers"),
        ),
        sa.ForeignKeyConstraint(
            ["fit_id"], ["clv_fits.id"], name=op.f("fk_clv_predictions_fit_id_clv_fits")
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_clv_predictions")),
    )
    op.create_index("ix_clv_predictions_clv", "clv_predictions", ["clv"])
    op.create_index("ix_clv_predictions_churn", "clv_predictions", ["churn_risk_90d"])


def downgrade() -> None:
    op.drop_index("ix_clv_predictions_churn", table_name="clv_predictions")
    op.drop_index("ix_clv_predictions_clv", table_name="clv_predictions")
    op.drop_table("clv_predictions")
    op.drop_table("clv_fits")
