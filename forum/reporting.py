"""Readers' reports: filing one, and the moderators' grouped view of what is open."""
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from .extensions import db
from .models import Comment, Report, Story, User


def file_report(*, reporter: User, target_type: str, target_id: int, reason: str, note: str) -> bool:
    """Record a report; False when this person already has one open on this item (the database decides)."""
    report = Report(reporter_id=reporter.id, target_type=target_type, target_id=target_id, reason=reason, note=note,
                    open_key=Report.key_for(reporter.id, target_type, target_id))
    try:
        with db.session.begin_nested():
            db.session.add(report)
    except IntegrityError:
        return False
    return True


@dataclass
class OpenItem:
    target_type: str
    target: object
    reports: list = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.reports)


def open_items(limit: int = 100) -> list[OpenItem]:
    """Open reports grouped by item, most reported first: three queries however many reports there are."""
    reports = list(db.session.scalars(
        sa.select(Report).where(Report.resolved_at.is_(None)).options(joinedload(Report.reporter))
        .order_by(Report.created_at)))
    ids = {"story": {r.target_id for r in reports if r.target_type == "story"},
           "comment": {r.target_id for r in reports if r.target_type == "comment"}}
    targets = {("story", s.id): s for s in db.session.scalars(sa.select(Story).where(Story.id.in_(ids["story"])))}
    targets.update({("comment", c.id): c for c in db.session.scalars(
        sa.select(Comment).where(Comment.id.in_(ids["comment"]))
        .options(selectinload(Comment.author), selectinload(Comment.story)))})
    items: dict[tuple, OpenItem] = {}
    for report in reports:
        key = (report.target_type, report.target_id)
        if key in targets:
            items.setdefault(key, OpenItem(report.target_type, targets[key])).reports.append(report)
    return sorted(items.values(), key=lambda item: -item.count)[:limit]
