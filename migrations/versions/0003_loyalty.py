"""loyalty: programme versions, points ledger (entries, lots, movements, holds), member accounts
and stage history, coupons

Revision ID: 0003_loyalty
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import kizuna.kit.db

revision: str = "0003_loyalty"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")
JSON_DOC = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def _time(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, kizuna.kit.db.UTCDateTime(timezone=True), nullable=nullable)


def _id() -> sa.Column:
    return sa.Column("id", BIG_ID, nullable=False)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def _index(table: str, name: str, columns: list[str]) -> None:
    op.create_index(name, table, columns, unique=False)


def upgrade() -> None:
    op.create_table(
        "loyalty_programmes",
        _id(),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", JSON_DOC, nullable=False),
        sa.Column("author", sa.String(length=120), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        _time("effective_from"),
        _time("created_at"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loyalty_programmes")),
        sa.UniqueConstraint("version", name=op.f("uq_loyalty_programmes_version")),
    )
    op.create_table(
        "loyalty_accounts",
        sa.Column("customer_id", BIG_ID, autoincrement=False, nullable=False),
        sa.Column("stage", sa.String(length=32), nullable=True),
        sa.Column("stage_since", sa.Date(), nullable=True),
        sa.Column("short_since", sa.Date(), nullable=True),
        sa.Column("qualifying", sa.Integer(), nullable=False),
        _time("evaluated_at", nullable=True),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_loyalty_accounts")),
    )
    _index("loyalty_accounts", "ix_loyalty_accounts_stage", ["stage"])
    op.create_table(
        "stage_changes",
        _id(),
        sa.Column("customer_id", BIG_ID, nullable=False),
        sa.Column("from_stage", sa.String(length=32), nullable=True),
        sa.Column("to_stage", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("qualifying", sa.Integer(), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("programme_version", sa.Integer(), nullable=True),
        sa.Column("order_id", BIG_ID, nullable=True),
        sa.Column("actor", sa.String(length=120), nullable=False),
        _time("at"),
        _fk("stage_changes", "customer_id", "customers"),
        _fk("stage_changes", "order_id", "orders"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stage_changes")),
    )
    _index("stage_changes", "ix_stage_changes_customer_at", ["customer_id", "at"])
    _ledger()
    _coupons()


def _ledger() -> None:
    op.create_table(
        "point_entries",
        _id(),
        sa.Column("customer_id", BIG_ID, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=120), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("order_id", BIG_ID, nullable=True),
        sa.Column("return_id", BIG_ID, nullable=True),
        sa.Column("link_type", sa.String(length=32), nullable=True),
        sa.Column("link_ref", sa.String(length=128), nullable=True),
        sa.Column("hold_id", BIG_ID, nullable=True),
        sa.Column("lot_id", BIG_ID, nullable=True),
        sa.Column("reverses_id", BIG_ID, nullable=True),
        sa.Column("deducted_points", sa.Integer(), nullable=False),
        sa.Column("waived_points", sa.Integer(), nullable=False),
        sa.Column("programme_version", sa.Integer(), nullable=True),
        sa.Column("detail", JSON_DOC, nullable=True),
        _time("created_at"),
        _fk("point_entries", "customer_id", "customers"),
        _fk("point_entries", "order_id", "orders"),
        _fk("point_entries", "return_id", "returns"),
        _fk("point_entries", "reverses_id", "point_entries"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_point_entries")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_point_entries_idempotency_key")),
    )
    _index("point_entries", "ix_point_entries_customer_created", ["customer_id", "created_at"])
    _index("point_entries", "ix_point_entries_order_kind", ["order_id", "kind"])
    _index("point_entries", "ix_point_entries_reverses_id", ["reverses_id"])
    op.create_table(
        "point_lots",
        _id(),
        sa.Column("customer_id", BIG_ID, nullable=False),
        sa.Column("entry_id", BIG_ID, nullable=False),
        sa.Column("is_debt", sa.Boolean(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("remaining", sa.Integer(), nullable=False),
        sa.Column("moves", sa.Integer(), nullable=False),
        _time("earned_at"),
        _time("expires_at", nullable=True),
        sa.CheckConstraint(
            "is_debt OR remaining >= 0", name=op.f("ck_point_lots_remaining_not_negative")
        ),
        _fk("point_lots", "customer_id", "customers"),
        _fk("point_lots", "entry_id", "point_entries"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_point_lots")),
    )
    op.create_index(
        "ix_point_lots_open",
        "point_lots",
        ["customer_id", "expires_at"],
        unique=False,
        sqlite_where=sa.text("remaining != 0"),
        postgresql_where=sa.text("remaining != 0"),
    )
    _index("point_lots", "ix_point_lots_entry_id", ["entry_id"])
    _index("point_lots", "ix_point_lots_expires_remaining", ["expires_at", "remaining"])
    op.create_table(
        "point_movements",
        _id(),
        sa.Column("entry_id", BIG_ID, nullable=False),
        sa.Column("lot_id", BIG_ID, nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        _fk("point_movements", "entry_id", "point_entries"),
        _fk("point_movements", "lot_id", "point_lots"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_point_movements")),
    )
    _index("point_movements", "ix_point_movements_entry_id", ["entry_id"])
    _index("point_movements", "ix_point_movements_lot_id", ["lot_id"])
    op.create_table(
        "point_holds",
        _id(),
        sa.Column("customer_id", BIG_ID, nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("order_ref", sa.String(length=64), nullable=True),
        sa.Column("order_id", BIG_ID, nullable=True),
        sa.Column("hold_entry_id", BIG_ID, nullable=False),
        sa.Column("settle_entry_id", BIG_ID, nullable=True),
        _time("created_at"),
        _time("expires_at"),
        _time("settled_at", nullable=True),
        _fk("point_holds", "customer_id", "customers"),
        _fk("point_holds", "hold_entry_id", "point_entries"),
        _fk("point_holds", "order_id", "orders"),
        _fk("point_holds", "settle_entry_id", "point_entries"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_point_holds")),
    )
    _index("point_holds", "ix_point_holds_customer_status", ["customer_id", "status"])
    _index("point_holds", "ix_point_holds_status_expires", ["status", "expires_at"])


def _coupons() -> None:
    op.create_table(
        "coupon_templates",
        _id(),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("document", JSON_DOC, nullable=False),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        _time("created_at"),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupon_templates")),
        sa.UniqueConstraint("code", name=op.f("uq_coupon_templates_code")),
    )
    op.create_table(
        "coupons",
        _id(),
        sa.Column("template_id", BIG_ID, nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("customer_id", BIG_ID, nullable=True),
        sa.Column("max_uses", sa.Integer(), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        _time("expires_at", nullable=True),
        _time("created_at"),
        _fk("coupons", "customer_id", "customers"),
        _fk("coupons", "template_id", "coupon_templates"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupons")),
        sa.UniqueConstraint("code", name=op.f("uq_coupons_code")),
    )
    _index("coupons", "ix_coupons_customer_id", ["customer_id"])
    _index("coupons", "ix_coupons_template_id", ["template_id"])
    op.create_table(
        "coupon_redemptions",
        _id(),
        sa.Column("coupon_id", BIG_ID, nullable=False),
        sa.Column("template_id", BIG_ID, nullable=False),
        sa.Column("customer_id", BIG_ID, nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("order_ref", sa.String(length=64), nullable=True),
        sa.Column("discount_yen", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        _time("redeemed_at"),
        _time("reversed_at", nullable=True),
        _fk("coupon_redemptions", "coupon_id", "coupons"),
        _fk("coupon_redemptions", "customer_id", "customers"),
        _fk("coupon_redemptions", "template_id", "coupon_templates"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coupon_redemptions")),
        sa.UniqueConstraint("idempotency_key", name=op.f("uq_coupon_redemptions_idempotency_key")),
    )
    _index("coupon_redemptions", "ix_coupon_redemptions_coupon_id", ["coupon_id"])
    _index("coupon_redemptions", "ix_coupon_redemptions_customer_id", ["customer_id"])
    _index(
        "coupon_redemptions",
        "ix_coupon_redemptions_template_customer",
        ["template_id", "customer_id"],
    )


def downgrade() -> None:
    for table in (
        "coupon_redemptions",
        "coupons",
        "coupon_templates",
        "point_holds",
        "point_movements",
        "point_lots",
        "point_entries",
        "stage_changes",
        "loyalty_accounts",
        "loyalty_programmes",
    ):
        op.drop_table(table)
