"""journeys: journey documents and switches, enrolments, per-step progress, segment
membership for segment_entered, campaigns, staff notifications

Revision ID: 0007_journeys
Revises: 0006_messaging
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kizuna.kit.db

revision: str = "0007_journeys"
down_revision: str | None = "0006_messaging"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
TIME = kizuna.kit.db.UTCDateTime(timezone=True)


def _customer_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["customer_id"], ["customers.id"], name=op.f(f"fk_{table}_customer_id_customers")
    )


def upgrade() -> None:
    op.create_table(
        "journeys",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("trigger_type", sa.String(length=40), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.String(length=120), nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_journeys")),
    )
    with op.batch_alter_table("journeys", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_journeys_trigger_type"), ["trigger_type"])

    op.create_table(
        "journey_versions",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", JSON_DOC, nullable=False),
        sa.Column("author", sa.String(length=120), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journey_versions")),
        sa.UniqueConstraint("key", "version", name=op.f("uq_journey_versions_key_version")),
    )

    op.create_table(
        "journey_changes",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journey_changes")),
    )
    with op.batch_alter_table("journey_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_journey_changes_key"), ["key"])

    op.create_table(
        "journey_enrolments",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("journey_key", sa.String(length=40), nullable=False),
        sa.Column("journey_version", sa.Integer(), nullable=False),
        sa.Column("customer_id", BIG_ID, nullable=False),
        sa.Column("occurrence", sa.String(length=64), nullable=False),
        sa.Column("arm", sa.String(length=16), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("step", sa.String(length=40), nullable=False),
        sa.Column("due_at", TIME, nullable=True),
        sa.Column("entered_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.Column("exit_reason", sa.String(length=60), nullable=True),
        sa.Column("context", JSON_DOC, nullable=False),
        _customer_fk("journey_enrolments"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journey_enrolments")),
        sa.UniqueConstraint(
            "journey_key",
            "customer_id",
            "occurrence",
            name=op.f("uq_journey_enrolments_journey_key_customer_id_occurrence"),
        ),
    )
    with op.batch_alter_table("journey_enrolments", schema=None) as batch_op:
        batch_op.create_index("ix_journey_enrolments_status_due", ["status", "due_at"])
        batch_op.create_index("ix_journey_enrolments_customer", ["customer_id"])

    op.create_table(
        "journey_progress",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("enrolment_id", BIG_ID, nullable=False),
        sa.Column("journey_key", sa.String(length=40), nullable=False),
        sa.Column("step_id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", BIG_ID, nullable=False),
        sa.Column("outcome", sa.String(length=60), nullable=False),
        sa.Column("detail", JSON_DOC, nullable=False),
        sa.Column("at", TIME, nullable=False),
        sa.ForeignKeyConstraint(
            ["enrolment_id"],
            ["journey_enrolments.id"],
            name=op.f("fk_journey_progress_enrolment_id_journey_enrolments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journey_progress")),
        sa.UniqueConstraint(
            "enrolment_id", "step_id", name=op.f("uq_journey_progress_enrolment_id_step_id")
        ),
    )
    with op.batch_alter_table("journey_progress", schema=None) as batch_op:
        batch_op.create_index("ix_journey_progress_journey_step", ["journey_key", "step_id"])

    op.create_table(
        "journey_segment_members",
        sa.Column("journey_key", sa.String(length=40), nullable=False),
        sa.Column("customer_id", BIG_ID, nullable=False),
        sa.Column("since", TIME, nullable=False),
        sa.PrimaryKeyConstraint(
            "journey_key", "customer_id", name=op.f("pk_journey_segment_members")
        ),
    )

    op.create_table(
        "campaigns",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("document", JSON_DOC, nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("scheduled_at", TIME, nullable=True),
        sa.Column("sent_at", TIME, nullable=True),
        sa.Column("result", JSON_DOC, nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("updated_at", TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
        sa.UniqueConstraint("key", name=op.f("uq_campaigns_key")),
    )
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.create_index("ix_campaigns_status_scheduled", ["status", "scheduled_at"])

    op.create_table(
        "staff_notifications",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("customer_id", BIG_ID, nullable=False),
        sa.Column("source", sa.String(length=80), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("read_at", TIME, nullable=True),
        sa.Column("read_by", sa.String(length=120), nullable=True),
        _customer_fk("staff_notifications"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_notifications")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_staff_notifications_dedupe_key")),
    )
    with op.batch_alter_table("staff_notifications", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_notifications_customer_id"), ["customer_id"])


def downgrade() -> None:
    op.drop_table("staff_notifications")
    op.drop_table("campaigns")
    op.drop_table("journey_segment_members")
    op.drop_table("journey_progress")
    op.drop_table("journey_enrolments")
    op.drop_table("journey_changes")
    op.drop_table("journey_versions")
    op.drop_table("journeys")
