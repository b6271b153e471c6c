"""messaging: outbox, message log, suppressions, push subscriptions, template overrides, and
holdout experiment assignments

Revision ID: 0006_messaging
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kizuna.kit.db

revision: str = "0006_messaging"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
TIME = kizuna.kit.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "message_templates",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_templates")),
        sa.UniqueConstraint("name", "language", name=op.f("uq_message_templates_name_language")),
    )
    op.create_table(
        "experiment_assignments",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("experiment", sa.String(length=120), nullable=False),
        sa.Column("customer_id", BIG_ID, nullable=False),
        sa.Column("arm", sa.String(length=16), nullable=False),
        sa.Column("variant", sa.String(length=40), nullable=False),
        sa.Column("holdout_share", sa.Float(), nullable=False),
        sa.Column("assigned_at", TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_experiment_assignments_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiment_assignments")),
        sa.UniqueConstraint(
            "experiment",
            "customer_id",
            name=op.f("uq_experiment_assignments_experiment_customer_id"),
        ),
    )
    with op.batch_alter_table("experiment_assignments", schema=None) as batch_op:
        batch_op.create_index("ix_experiment_assignments_customer", ["customer_id"], unique=False)

    op.create_table(
        "outbox_messages",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("customer_id", BIG_ID, nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("template", sa.String(length=80), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("context", JSON_DOC, nullable=False),
        sa.Column("source_type", sa.String(length=16), nullable=False),
        sa.Column("source_key", sa.String(length=80), nullable=False),
        sa.Column("step_key", sa.String(length=80), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.String(length=120), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", TIME, nullable=True),
        sa.Column("lease_until", TIME, nullable=True),
        sa.Column("claimed_by", sa.String(length=80), nullable=True),
        sa.Column("provider_id", sa.String(length=200), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.Column("sent_at", TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_outbox_messages_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_outbox_messages_dedupe_key")),
    )
    with op.batch_alter_table("outbox_messages", schema=None) as batch_op:
        batch_op.create_index(
            "ix_outbox_messages_customer_created", ["customer_id", "created_at"], unique=False
        )
        batch_op.create_index(
            "ix_outbox_messages_source", ["source_type", "source_key"], unique=False
        )
        batch_op.create_index(
            "ix_outbox_messages_status_due", ["status", "next_attempt_at"], unique=False
        )

    op.create_table(
        "push_subscriptions",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("customer_id", BIG_ID, nullable=False),
        sa.Column("endpoint", sa.String(length=1000), nullable=False),
        sa.Column("p256dh", sa.String(length=200), nullable=False),
        sa.Column("auth", sa.String(length=100), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("revoked_at", TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_push_subscriptions_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_subscriptions")),
        sa.UniqueConstraint("endpoint", name=op.f("uq_push_subscriptions_endpoint")),
    )
    with op.batch_alter_table("push_subscriptions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_push_subscriptions_customer_id"), ["customer_id"], unique=False
        )

    op.create_table(
        "suppressions",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("customer_id", BIG_ID, nullable=True),
        sa.Column("address", sa.String(length=255), nullable=True),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=80), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("lifted_at", TIME, nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_suppressions_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suppressions")),
    )
    with op.batch_alter_table("suppressions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_suppressions_address"), ["address"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_suppressions_customer_id"), ["customer_id"], unique=False
        )

    op.create_table(
        "message_log",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("outbox_id", BIG_ID, nullable=True),
        sa.Column("customer_id", BIG_ID, nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=120), nullable=False),
        sa.Column("detail", JSON_DOC, nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_message_log_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["outbox_messages.id"],
            name=op.f("fk_message_log_outbox_id_outbox_messages"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_message_log")),
    )
    with op.batch_alter_table("message_log", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_message_log_customer_id"), ["customer_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_message_log_outbox_id"), ["outbox_id"], unique=False)


def downgrade() -> None:
    op.drop_table("message_log")
    op.drop_table("suppressions")
    op.drop_table("push_subscriptions")
    op.drop_table("outbox_messages")
    op.drop_table("experiment_assignments")
    op.drop_table("message_templates")
