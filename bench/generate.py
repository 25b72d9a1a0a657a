"""Generate a realistic Step Stories database in bulk, straight into the tables (not through the web forms).

    python -m bench.generate [--scale 100000] [--database URL] [--regenerate] [--drop-schema]

One function per table, run in foreign-key order. A table the migrations have not created yet (comments and votes
are being built) is skipped with a line saying so; comment and vote rows follow DESIGN.md and are fitted to the
columns the database really has, so when those tables land the generator fills them without changes here.
Cached columns agree with the rows: stories.votes and hot with story_votes, comment_count with comments, karma
with all votes received, resources.story_count through forum.catalogue.
"""
import argparse
import logging
import os
import random
import sys
import time

import sqlalchemy as sa

from forum.models import utcnow

from . import dataset
from .rows import Context, Counts, batched
from .tables import TABLES

DEFAULT_SCALE = 100_000  # stories; every other count follows from it (see rows.Counts)
SEED = 20_261_124
GENERATOR_VERSION = 4  # bump when the data changes shape, so databases generated before are rebuilt (3: scales)
# (4: realistic practice-to-real)


def finish(ctx: Context, url: str) -> None:
    """Cached columns that span tables, then what the database needs to serve the data well."""
    karma = [0] * (ctx.counts.users + 1)
    if ctx.has("story_votes"):
        for author, votes in zip(ctx.story_author, ctx.story_vote_counts, strict=True):
            karma[author] += votes
    if ctx.has("comment_votes") and ctx.has("comments"):
        for author, votes in zip(ctx.comment_author, ctx.comment_vote_counts, strict=True):
            karma[author] += votes
    with ctx.engine.begin() as conn:
        table = ctx.tables["users"]
        statement = sa.update(table).where(table.c.id == sa.bindparam("uid")).values(karma=sa.bindparam("k"))
        for batch in batched({"uid": uid, "k": k} for uid, k in enumerate(karma) if k):
            conn.execute(statement, batch)
    refresh_resource_counts(url)
    with ctx.engine.begin() as conn:
        if ctx.engine.dialect.name == "postgresql":
            for name, table in ctx.tables.items():  # explicit ids were inserted: move each sequence past them
                if "id" in table.c and isinstance(table.c.id.type, sa.Integer):
                    conn.execute(sa.text("SELECT setval(pg_get_serial_sequence(:t, 'id'), "
                                         f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {name}), false)"), {"t": name})


def refresh_resource_counts(url: str) -> None:
    """resources.story_count through the forum's own writer of it, in an app context on the bench database."""
    os.environ.setdefault("SECRET_KEY", dataset.BENCH_SECRET)  # create_app reads it before the overrides below
    logging.basicConfig(level=logging.WARNING)  # else create_app sets INFO, and Alembic's start-up chatter shows
    from forum import catalogue, create_app
    from forum.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        catalogue.refresh_story_counts()
        db.session.commit()
        db.engine.dispose()


def loader_engine(url: str) -> sa.Engine:
    """SQLite tuned for a one-off bulk load: no fsync, big cache. The served database goes back to the app's pragmas."""
    engine = sa.create_engine(url)
    if engine.dialect.name == "sqlite":
        @sa.event.listens_for(engine, "connect")
        def pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-262144")  # 256 MiB: index pages stay in memory during the load
            cursor.execute("PRAGMA temp_store=MEMORY")
            cursor.close()
    return engine


def generate(url: str, scale: int, *, seed: int = SEED) -> dict:
    """Fill a freshly migrated database; returns the bench_meta record it wrote."""
    started = time.monotonic()
    engine = loader_engine(url)
    metadata = sa.MetaData()
    metadata.reflect(engine)
    ctx = Context(engine=engine, counts=Counts.for_scale(scale), rng=random.Random(seed), now=utcnow(),
                  tables=dict(metadata.tables))
    print(f"generating {scale:,} stories into {dataset.shown(url)}", file=sys.stderr, flush=True)
    for name, function in TABLES:
        if ctx.has(name):
            function(ctx)
        else:
            print(f"skipped: {name} (table not present yet)", file=sys.stderr, flush=True)
    finish(ctx, url)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(sa.text("ANALYZE"))  # autovacuum would do it within minutes in production
        meta = {"scale": scale, "seed": seed, "generator_version": GENERATOR_VERSION,
                "database_revision": dataset.migration_head(), "generated_at": ctx.now.isoformat(timespec="seconds"),
                "big_threads": {str(k): v for k, v in ctx.big_threads.items()},
                "rows": {name: _count(conn, ctx.tables[name]) for name, _ in TABLES if ctx.has(name)},
                "skipped": [name for name, _ in TABLES if not ctx.has(name)],
                "seconds_per_table": ctx.seconds, "seconds": round(time.monotonic() - started, 1)}
        dataset.write_meta(conn, meta)
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    print(f"generated in {meta['seconds']:.0f}s: " + ", ".join(f"{n:,} {t}" for t, n in meta["rows"].items()),
          file=sys.stderr, flush=True)
    return meta


def _count(conn: sa.Connection, table: sa.Table) -> int:
    return conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()


def ensure(url: str, scale: int, *, regenerate: bool = False, drop_schema: bool = False) -> dict:
    """The bench_meta of a database holding this scale's data, generating it first when needed."""
    meta = None if regenerate else dataset.read_meta(url)
    reason = "--regenerate" if regenerate else dataset.why_not_reusable(
        meta, scale=scale, seed=SEED, version=GENERATOR_VERSION)
    if reason is None:
        print(f"reusing {dataset.shown(url)}: {scale:,} stories generated {meta['generated_at']} "
              "(--regenerate to rebuild)", file=sys.stderr, flush=True)
        meta["reused"] = True
        return meta
    print(f"generating a fresh database ({reason})", file=sys.stderr, flush=True)
    dataset.make_empty(url, drop_schema=drop_schema)
    dataset.set_up_like_a_new_install(url)
    meta = generate(url, scale)
    meta["reused"] = False
    return meta


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=DEFAULT_SCALE, help="stories (default %(default)s)")
    parser.add_argument("--database", default=dataset.sqlite_url(), help="SQLAlchemy URL (default bench/bench.db)")
    parser.add_argument("--regenerate", action="store_true", help="rebuild even if a matching dataset exists")
    parser.add_argument("--drop-schema", action="store_true",
                        help="PostgreSQL only: allow DROP SCHEMA public CASCADE in a database that is not empty")
    args = parser.parse_args(argv)
    if args.scale < 1_000:
        parser.error("--scale must be at least 1000 (the two big threads need room)")
    return args


def main(argv=None) -> None:
    args = parse_args(argv)
    ensure(args.database, args.scale, regenerate=args.regenerate, drop_schema=args.drop_schema)


if __name__ == "__main__":
    main()
