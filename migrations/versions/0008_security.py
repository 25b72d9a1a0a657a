"""security: revocable sign-ins, one-time sign-in links, hidden revisions, look-alike usernames

Revision ID: 0008_security
Revises: 0007_insights_index

- login_sessions: one row per sign-in, which the session and remember-me cookies point at (revocable, expiring).
- password_reset_tokens.purpose: the table also holds one-time sign-in links ("sign_in").
- revisions.hidden_*: a moderator's redaction of a version.
- users.username_fold: new usernames are unique by a confusable-folded key. Accounts that already collide keep
  their names: the first (lowest id) holds the key, each later one "<key>~<id>", and the upgrade reports them.
"""
import logging

import sqlalchemy as sa
from alembic import op

revision = "0008_security"
down_revision = "0007_insights_index"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")

# A copy of forum.models.accounts._CONFUSABLE_FOLDS as it was when this migration was written: a migration must
# give the same result whatever the code later becomes.
FOLDS = (("rn", "m"), ("vv", "w"), ("_", "-"), ("0", "o"), ("1", "l"), ("i", "l"), ("5", "s"))


def fold(username: str) -> str:
    folded = username.strip().casefold()
    for alike, into in FOLDS:
        folded = folded.replace(alike, into)
    return folded


def upgrade():
    op.create_table(
        "login_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("remember", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column("ip_address", sa.String(length=45), server_default="", nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_login_sessions_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_login_sessions_token_hash")),
    )
    op.create_index(op.f("ix_login_sessions_user_id"), "login_sessions", ["user_id"], unique=False)

    with op.batch_alter_table("password_reset_tokens") as batch:
        batch.add_column(sa.Column("purpose", sa.String(length=16), server_default="reset", nullable=False))

    with op.batch_alter_table("revisions") as batch:
        batch.add_column(sa.Column("hidden_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("hidden_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("hidden_reason", sa.String(length=500), server_default="", nullable=False))
        batch.create_foreign_key(op.f("fk_revisions_hidden_by_id_users"), "users", ["hidden_by_id"], ["id"])

    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("username_fold", sa.String(length=40), nullable=True))
    connection = op.get_bind()
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("username", sa.String),
                     sa.column("username_fold", sa.String))
    holders: dict[str, tuple[int, str]] = {}
    for user_id, username in connection.execute(sa.select(users.c.id, users.c.username).order_by(users.c.id)):
        key = fold(username)
        if key in holders:
            first_id, first_name = holders[key]
            log.warning("look-alike usernames: %r (id %s) collides with %r (id %s); both keep their names",
                        username, user_id, first_name, first_id)
            print(f"0008_security: username {username!r} (id {user_id}) looks like {first_name!r} (id {first_id});"
                  " left as it is")
            key = f"{key}~{user_id}"
        else:
            holders[key] = (user_id, username)
        connection.execute(sa.update(users).where(users.c.id == user_id).values(username_fold=key))
    with op.batch_alter_table("users") as batch:
        batch.alter_column("username_fold", existing_type=sa.String(length=40), nullable=False)
        batch.create_unique_constraint(op.f("uq_users_username_fold"), ["username_fold"])


def downgrade():
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint(op.f("uq_users_username_fold"), type_="unique")
        batch.drop_column("username_fold")
    with op.batch_alter_table("revisions") as batch:
        batch.drop_constraint(op.f("fk_revisions_hidden_by_id_users"), type_="foreignkey")
        batch.drop_column("hidden_reason")
        batch.drop_column("hidden_by_id")
        batch.drop_column("hidden_at")
    with op.batch_alter_table("password_reset_tokens") as batch:
        batch.drop_column("purpose")
    op.drop_index(op.f("ix_login_sessions_user_id"), table_name="login_sessions")
    op.drop_table("login_sessions")
