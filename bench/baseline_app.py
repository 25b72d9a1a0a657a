"""The yardstick for `make bench`: the least a Flask page can cost, served by the same gunicorn setup as the forum.

/hello returns a string. /rows renders 25 rows read from SQLite through Flask-SQLAlchemy and a Jinja template:
a page with no logic of its own, so "ratio to the bare 25-row page" says how much the forum adds per page, and
machine noise (CPU frequency, other load) moves both sides alike.
The database is this app's own small SQLite file, built once at startup (workers take turns through a file lock).
"""
import fcntl
import os
from datetime import datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from flask import Flask, render_template
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

DB_PATH = Path(os.environ.get("BENCH_BASELINE_DB", Path(__file__).resolve().parent / "baseline.db"))
ROWS = 1_000  # enough that the 25 come from an index, not a table scan of a handful
PAGE_ROWS = 25  # a listing page's worth


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)


class Item(db.Model):
    __tablename__ = "items"
    __table_args__ = (sa.Index("ix_items_score", "score"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(sa.String(150))
    author: Mapped[str] = mapped_column(sa.String(30))
    score: Mapped[float]
    votes: Mapped[int]
    created_at: Mapped[datetime]


def build_database(app: Flask) -> None:
    """Create and fill the table once; the lock keeps two workers starting together from both doing it."""
    DB_PATH.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{DB_PATH}-lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        with app.app_context():
            db.create_all()
            if db.session.scalar(sa.select(sa.func.count()).select_from(Item)) == 0:
                start = datetime(2025, 1, 1)
                db.session.add_all(Item(title=f"Item number {i}: a title of ordinary length", author=f"user{i % 97}",
                                        score=(i * 7919) % 1000 / 10, votes=(i * 31) % 200,
                                        created_at=start + timedelta(hours=i)) for i in range(1, ROWS + 1))
                db.session.commit()


def create_app() -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{DB_PATH}"
    db.init_app(app)
    build_database(app)

    @app.get("/hello")
    def hello():
        return "hello world"

    @app.get("/rows")
    def rows():
        items = db.session.scalars(sa.select(Item).order_by(Item.score.desc()).limit(PAGE_ROWS)).all()
        return render_template("baseline_rows.html", items=items)

    return app


app = create_app()
