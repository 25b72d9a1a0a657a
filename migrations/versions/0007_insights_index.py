"""a covering index for the insights aggregates

Revision ID: 0007_insights_index
Revises: 0006_cache_generation

Every insights query filters published stories of one step (and maybe an exam-year range and a background) and
groups by outcome, background, year, score or prep weeks. Without this index each of those reads ~40,000 wide
story rows (bodies included) at 100,000 stories: 200-300 ms a query on SQLite. With it they are index-only scans
(EXPLAIN QUERY PLAN: "USING COVERING INDEX ix_stories_insights"), 15-30 ms. `id` comes last so PostgreSQL can
join story_resources and practice_scores from the index alone too.
"""
from alembic import op

revision = "0007_insights_index"
down_revision = "0006_cache_generation"
branch_labels = None
depends_on = None

COLUMNS = ["status", "step", "exam_month", "background", "outcome", "score", "prep_weeks", "id"]


# Plain op.create_index, not batch mode: an index needs no table rebuild, and a rebuild would drop the search
# triggers that 0005_search put on this table.
def upgrade():
    op.create_index("ix_stories_insights", "stories", COLUMNS, unique=False)


def downgrade():
    op.drop_index("ix_stories_insights", table_name="stories")
