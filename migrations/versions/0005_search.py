"""full-text search: FTS5 on SQLite, tsvector + GIN on PostgreSQL, kept in step by triggers

Revision ID: 0005_search
Revises: 0004_curation
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_search"
down_revision = "0004_curation"
branch_labels = None
depends_on = None

# unicode61 without diacritic folding, to tokenise as PostgreSQL's 'simple' configuration does.
SQLITE = [
    "CREATE VIRTUAL TABLE search_stories USING fts5(title, body, search_extra, content='stories', "
    "content_rowid='id', tokenize='unicode61 remove_diacritics 0')",
    "CREATE VIRTUAL TABLE search_stories_title USING fts5(title, content='stories', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 0')",
    "CREATE VIRTUAL TABLE search_comments USING fts5(body, content='comments', content_rowid='id', "
    "tokenize='unicode61 remove_diacritics 0')",
    """CREATE TRIGGER search_stories_ai AFTER INSERT ON stories BEGIN
         INSERT INTO search_stories(rowid, title, body, search_extra) VALUES (new.id, new.title, new.body, new.search_extra);
         INSERT INTO search_stories_title(rowid, title) VALUES (new.id, new.title);
       END""",
    """CREATE TRIGGER search_stories_ad AFTER DELETE ON stories BEGIN
         INSERT INTO search_stories(search_stories, rowid, title, body, search_extra)
           VALUES ('delete', old.id, old.title, old.body, old.search_extra);
         INSERT INTO search_stories_title(search_stories_title, rowid, title) VALUES ('delete', old.id, old.title);
       END""",
    """CREATE TRIGGER search_stories_au AFTER UPDATE OF title, body, search_extra ON stories BEGIN
         INSERT INTO search_stories(search_stories, rowid, title, body, search_extra)
           VALUES ('delete', old.id, old.title, old.body, old.search_extra);
         INSERT INTO search_stories(rowid, title, body, search_extra) VALUES (new.id, new.title, new.body, new.search_extra);
         INSERT INTO search_stories_title(search_stories_title, rowid, title) VALUES ('delete', old.id, old.title);
         INSERT INTO search_stories_title(rowid, title) VALUES (new.id, new.title);
       END""",
    """CREATE TRIGGER search_comments_ai AFTER INSERT ON comments BEGIN
         INSERT INTO search_comments(rowid, body) VALUES (new.id, new.body);
       END""",
    """CREATE TRIGGER search_comments_ad AFTER DELETE ON comments BEGIN
         INSERT INTO search_comments(search_comments, rowid, body) VALUES ('delete', old.id, old.body);
       END""",
    """CREATE TRIGGER search_comments_au AFTER UPDATE OF body ON comments BEGIN
         INSERT INTO search_comments(search_comments, rowid, body) VALUES ('delete', old.id, old.body);
         INSERT INTO search_comments(rowid, body) VALUES (new.id, new.body);
       END""",
    "INSERT INTO search_stories(search_stories) VALUES ('rebuild')",
    "INSERT INTO search_stories_title(search_stories_title) VALUES ('rebuild')",
    "INSERT INTO search_comments(search_comments) VALUES ('rebuild')",
]

POSTGRESQL = [
    "ALTER TABLE stories ADD COLUMN search_vector tsvector",
    "ALTER TABLE comments ADD COLUMN search_vector tsvector",
    """CREATE FUNCTION search_stories_vector() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         NEW.search_vector := to_tsvector('simple', coalesce(NEW.title, '') || ' ' || coalesce(NEW.body, '') || ' '
                                                   || coalesce(NEW.search_extra, ''));
         RETURN NEW;
       END $$""",
    """CREATE FUNCTION search_comments_vector() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN
         NEW.search_vector := to_tsvector('simple', coalesce(NEW.body, ''));
         RETURN NEW;
       END $$""",
    """CREATE TRIGGER search_stories_tsv BEFORE INSERT OR UPDATE OF title, body, search_extra ON stories
       FOR EACH ROW EXECUTE FUNCTION search_stories_vector()""",
    """CREATE TRIGGER search_comments_tsv BEFORE INSERT OR UPDATE OF body ON comments
       FOR EACH ROW EXECUTE FUNCTION search_comments_vector()""",
    "UPDATE stories SET search_extra = search_extra",
    "UPDATE comments SET body = body",
    "CREATE INDEX search_stories_vector_gin ON stories USING gin (search_vector)",
    "CREATE INDEX search_comments_vector_gin ON comments USING gin (search_vector)",
]


def upgrade():
    with op.batch_alter_table("stories") as batch_op:
        batch_op.add_column(sa.Column("search_extra", sa.Text(), server_default="", nullable=False))
    statements = POSTGRESQL if op.get_bind().dialect.name == "postgresql" else SQLITE
    for statement in statements:
        op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for statement in ["DROP TRIGGER search_stories_tsv ON stories", "DROP TRIGGER search_comments_tsv ON comments",
                          "DROP FUNCTION search_stories_vector()", "DROP FUNCTION search_comments_vector()",
                          "ALTER TABLE stories DROP COLUMN search_vector",
                          "ALTER TABLE comments DROP COLUMN search_vector"]:
            op.execute(statement)
    else:
        for name in ["search_stories_ai", "search_stories_ad", "search_stories_au", "search_comments_ai",
                     "search_comments_ad", "search_comments_au"]:
            op.execute(f"DROP TRIGGER {name}")
        for name in ["search_stories", "search_stories_title", "search_comments"]:
            op.execute(f"DROP TABLE {name}")
    with op.batch_alter_table("stories") as batch_op:
        batch_op.drop_column("search_extra")
