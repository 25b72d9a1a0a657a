"""trustworthy record: full revisions, a scale per practice score, dated catalogue, journeys, verified outcomes

Revision ID: 0010_trustworthy_record
Revises: 0009_cache_versions

- revisions.snapshot: the whole record of a version (exam fields, resources, practice scores) as JSON.
- stories.score_edited_at / outcome_edited_at: the card says when the result changed after publication.
- stories.verified_at / verified_by_id and score_reports: a moderator's check of an uploaded score report.
- journeys and stories.journey_id / journey_note: an author's linked attempts at one step.
- resources.released_on / retired_on / source and resource_scales: the catalogue with dates, scales and sources.
- practice_scores.scale: set here from the assessment's scale; 0011 corrects rows by the date they were taken.
- resource_suggestions.position: an unknown resource keeps its place among the story's resources.
"""
import sqlalchemy as sa
from alembic import op

revision = "0010_trustworthy_record"
down_revision = "0009_cache_versions"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "journeys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("step", sa.String(length=8), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"], name=op.f("fk_journeys_author_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_journeys")),
    )
    op.create_index(op.f("ix_journeys_author_id"), "journeys", ["author_id"], unique=False)

    add_story_columns()

    op.create_table(
        "score_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("story_id", sa.Integer(), nullable=False),
        sa.Column("uploader_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=120), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["story_id"], ["stories.id"], name=op.f("fk_score_reports_story_id_stories"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["uploader_id"], ["users.id"], name=op.f("fk_score_reports_uploader_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_reports")),
        sa.UniqueConstraint("story_id", name=op.f("uq_score_reports_story_id")),
    )

    with op.batch_alter_table("resources") as batch:
        batch.add_column(sa.Column("released_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("retired_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("source", sa.Text(), server_default="", nullable=False))
    op.create_table(
        "resource_scales",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=True),
        sa.Column("scale", sa.String(length=12), nullable=False),
        sa.Column("source", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(["resource_id"], ["resources.id"],
                                name=op.f("fk_resource_scales_resource_id_resources"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_scales")),
        sa.UniqueConstraint("resource_id", "valid_from", name="uq_resource_scales_resource_from"),
    )

    with op.batch_alter_table("practice_scores") as batch:
        batch.add_column(sa.Column("scale", sa.String(length=12), server_default="three_digit", nullable=False))
    op.execute("UPDATE practice_scores SET scale = 'percent' WHERE resource_id IN "
               "(SELECT id FROM resources WHERE scale = 'percent')")

    with op.batch_alter_table("resource_suggestions") as batch:
        batch.add_column(sa.Column("position", sa.SmallInteger(), server_default="0", nullable=False))

    with op.batch_alter_table("revisions") as batch:
        batch.add_column(sa.Column("snapshot", sa.Text(), server_default="", nullable=False))


def story_columns() -> list[sa.Column]:
    return [
        sa.Column("score_edited_at", sa.DateTime(), nullable=True),
        sa.Column("outcome_edited_at", sa.DateTime(), nullable=True),
        sa.Column("verified_at", sa.DateTime(), nullable=True),
        sa.Column("verified_by_id", sa.Integer(), nullable=True),
        sa.Column("journey_id", sa.Integer(), nullable=True),
        sa.Column("journey_note", sa.String(length=300), server_default="", nullable=False),
    ]


def add_story_columns():
    """Add the story columns without rebuilding the table.

    On SQLite a batch operation that adds a foreign key copies `stories` into a new table, which drops the full-text
    triggers 0005_search put on it (search would silently stop finding new stories). SQLite's own ALTER TABLE ADD
    COLUMN takes a REFERENCES clause, so it is used there; PostgreSQL adds named constraints as usual. No ON DELETE
    action: SQLAlchemy cannot read one back from such a clause, and forum.journeys unlinks stories before it deletes
    a journey anyway.
    """
    sqlite = op.get_bind().dialect.name == "sqlite"
    for column in story_columns():
        if sqlite and column.name == "verified_by_id":
            op.execute("ALTER TABLE stories ADD COLUMN verified_by_id INTEGER REFERENCES users (id)")
        elif sqlite and column.name == "journey_id":
            op.execute("ALTER TABLE stories ADD COLUMN journey_id INTEGER REFERENCES journeys (id)")
        else:
            op.add_column("stories", column)
    if not sqlite:
        op.create_foreign_key(op.f("fk_stories_verified_by_id_users"), "stories", "users", ["verified_by_id"],
                              ["id"])
        op.create_foreign_key(op.f("fk_stories_journey_id_journeys"), "stories", "journeys", ["journey_id"], ["id"])
    op.create_index(op.f("ix_stories_journey_id"), "stories", ["journey_id"], unique=False)


def downgrade():
    with op.batch_alter_table("revisions") as batch:
        batch.drop_column("snapshot")
    with op.batch_alter_table("resource_suggestions") as batch:
        batch.drop_column("position")
    with op.batch_alter_table("practice_scores") as batch:
        batch.drop_column("scale")
    op.drop_table("resource_scales")
    with op.batch_alter_table("resources") as batch:
        batch.drop_column("source")
        batch.drop_column("retired_on")
        batch.drop_column("released_on")
    op.drop_table("score_reports")
    op.drop_index(op.f("ix_stories_journey_id"), table_name="stories")
    if op.get_bind().dialect.name == "sqlite":
        # DROP COLUMN without a rebuild (SQLite 3.35+), so 0005's full-text triggers stay; a column with a
        # REFERENCES clause cannot be dropped that way, so those two stay behind, unused and null.
        for name in ("journey_note", "outcome_edited_at", "score_edited_at", "verified_at"):
            op.execute(f"ALTER TABLE stories DROP COLUMN {name}")
    else:
        op.drop_constraint(op.f("fk_stories_journey_id_journeys"), "stories", type_="foreignkey")
        op.drop_constraint(op.f("fk_stories_verified_by_id_users"), "stories", type_="foreignkey")
        for name in ("journey_note", "journey_id", "verified_by_id", "verified_at", "outcome_edited_at",
                     "score_edited_at"):
            op.drop_column("stories", name)
    op.drop_index(op.f("ix_journeys_author_id"), table_name="journeys")
    op.drop_table("journeys")
