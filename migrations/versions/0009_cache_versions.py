"""cache versions: a number per scope, so a write retires only the cached pages that show what it changed

Revision ID: 0009_cache_versions
Revises: 0008_security

Replaces cache_generation (one number for the whole site, raised by every write). Its value carries over as the
"site" scope, so no page cached under the old scheme can be mistaken for a current one.
"""
import sqlalchemy as sa
from alembic import op

revision = "0009_cache_versions"
down_revision = "0008_security"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "cache_versions",
        sa.Column("scope", sa.String(64), nullable=False),
        sa.Column("value", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_cache_versions")),
    )
    op.execute("INSERT INTO cache_versions (scope, value) SELECT 'site', value + 1 FROM cache_generation WHERE id = 1")
    op.drop_table("cache_generation")


def downgrade():
    table = op.create_table(
        "cache_generation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.BigInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cache_generation")),
    )
    op.execute("INSERT INTO cache_generation (id, value) "
               "SELECT 1, coalesce((SELECT value FROM cache_versions WHERE scope = 'site'), 0) + 1")
    op.drop_table("cache_versions")
