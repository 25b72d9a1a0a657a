"""following: follows of a story, a step, a resource or a search, each member's count of them, and their choice of
mail about them

Revision ID: 0012_following
Revises: 0011_practice_scales
"""
import sqlalchemy as sa
from alembic import op

revision = "0012_following"
down_revision = "0011_practice_scales"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "follows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("key", sa.String(1000), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_follows_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follows")),
        sa.UniqueConstraint("user_id", "kind", "key", name="uq_follows_user_kind_key"),
    )
    op.create_index("ix_follows_kind_key", "follows", ["kind", "key"])
    op.create_table(
        "mail_preferences",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("follow_mail", sa.String(5), server_default="off", nullable=False),
        sa.Column("last_digest_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_mail_preferences_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_mail_preferences")),
    )
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("follow_count", sa.Integer(), server_default="0", nullable=False))


def downgrade():
    # Not a batch rebuild: on SQLite that drops and copies users, which the rows referring to it refuse.
    op.execute("ALTER TABLE users DROP COLUMN follow_count")  # SQLite 3.35+ and PostgreSQL alike
    op.drop_table("mail_preferences")
    op.drop_index("ix_follows_kind_key", table_name="follows")
    op.drop_table("follows")
