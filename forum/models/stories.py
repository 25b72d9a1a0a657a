"""Stories, the resource catalogue, practice scores and revisions."""
import re
import unicodedata
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .accounts import BACKGROUNDS, User, utcnow

STORY_STATUSES = ("published", "deleted", "removed")
RESOURCE_KINDS = {
    "qbank": "Question bank", "book": "Book", "video": "Video course", "flashcards": "Flashcards",
    "self-assessment": "Self-assessment", "podcast": "Podcast", "course": "Course", "other": "Other",
}
SLUG_MAX = 80  # long enough to read, short enough to share


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:SLUG_MAX].rstrip("-") or "story"


def alias_key(name: str) -> str:
    """How typed resource names are compared: case, spacing and punctuation do not matter ("U-World" = "uworld")."""
    return re.sub(r"[^0-9a-z&+]+", "", unicodedata.normalize("NFKC", name).casefold())


class Story(db.Model):
    __tablename__ = "stories"
    __table_args__ = (
        # Every listing filters on status and sorts by one of these; the step variants serve the hubs.
        sa.Index("ix_stories_status_created", "status", "created_at"),
        sa.Index("ix_stories_status_hot", "status", "hot"),
        sa.Index("ix_stories_status_votes", "status", "votes"),
        sa.Index("ix_stories_status_step_created", "status", "step", "created_at"),
        sa.Index("ix_stories_status_step_hot", "status", "step", "hot"),
        sa.Index("ix_stories_author_created", "author_id", "created_at"),
        # Covers every insights aggregate (forum.insights.data), so they never read the wide story rows.
        sa.Index("ix_stories_insights", "status", "step", "exam_month", "background", "outcome", "score", "prep_weeks",
                 "id"),
        sa.UniqueConstraint("author_id", "submission_key", name="uq_stories_author_submission"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(sa.String(150))
    slug: Mapped[str] = mapped_column(sa.String(SLUG_MAX))
    body: Mapped[str] = mapped_column(sa.Text)
    body_html: Mapped[str] = mapped_column(sa.Text)
    step: Mapped[str] = mapped_column(sa.String(8))
    exam_month: Mapped[date]
    attempt: Mapped[int] = mapped_column(sa.SmallInteger)
    outcome: Mapped[str] = mapped_column(sa.String(8))
    score: Mapped[int | None] = mapped_column(sa.SmallInteger)
    background: Mapped[str | None] = mapped_column(sa.String(16))
    prep_weeks: Mapped[int | None] = mapped_column(sa.SmallInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    edited_at: Mapped[datetime | None]
    votes: Mapped[int] = mapped_column(default=0, server_default="0")
    comment_count: Mapped[int] = mapped_column(default=0, server_default="0")
    hot: Mapped[float] = mapped_column(sa.Float, default=0.0, server_default="0")
    status: Mapped[str] = mapped_column(sa.String(10), default="published", server_default="published")
    status_reason: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")
    locked: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # A new account's first story: live at once, and listed for moderators to look at until one does.
    awaiting_review: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    # Words a search should find beyond title and body: step, outcome, attempt, background, year, and the names
    # and aliases of the resources used ("uw" finds UWorld). Written by forum.search.story_text.
    search_extra: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # A random key from the form: a double-click or a resent POST finds the story it already made.
    submission_key: Mapped[str | None] = mapped_column(sa.String(64))
    # When an edit after publication changed the exam result a reader acts on: the card says "score edited DATE".
    score_edited_at: Mapped[datetime | None]
    outcome_edited_at: Mapped[datetime | None]
    # A moderator compared the author's score report with this record (forum.verification); the report is deleted.
    verified_at: Mapped[datetime | None]
    verified_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # Retake journeys: the author's linked attempts at one step share a journey (forum.journeys).
    # No ON DELETE action (see migration 0010): forum.journeys unlinks the stories before it deletes a journey.
    journey_id: Mapped[int | None] = mapped_column(sa.ForeignKey("journeys.id"), index=True)
    journey_note: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")  # what changed

    author: Mapped[User] = relationship(lazy="joined", innerjoin=True, foreign_keys=[author_id])
    # raise_on_sql: a page that forgot to load these fails loudly in tests instead of querying once per story.
    resource_links: Mapped[list["StoryResource"]] = relationship(
        back_populates="story", cascade="all, delete-orphan", order_by="StoryResource.position", lazy="raise_on_sql")
    practice_scores: Mapped[list["PracticeScore"]] = relationship(
        back_populates="story", cascade="all, delete-orphan", order_by="PracticeScore.taken_on", lazy="raise_on_sql")
    # Names the catalogue does not know yet, shown on the story as typed (unresolved ones only).
    resource_suggestions: Mapped[list["ResourceSuggestion"]] = relationship(
        back_populates="story", order_by="ResourceSuggestion.position",
        primaryjoin="and_(ResourceSuggestion.story_id == Story.id, ResourceSuggestion.resolved.is_(False))",
        viewonly=True, lazy="raise_on_sql")

    @property
    def is_published(self) -> bool:
        return self.status == "published"

    @property
    def background_label(self) -> str:
        return BACKGROUNDS.get(self.background or "", "")

    def __repr__(self) -> str:
        return f"<Story {self.id} {self.slug}>"


class Resource(db.Model):
    __tablename__ = "resources"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(80), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    kind: Mapped[str] = mapped_column(sa.String(20))
    steps: Mapped[str] = mapped_column(sa.String(40), default="", server_default="")  # space-separated step codes
    description: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    # Self-assessments: the scale it reports today (three_digit | percent); ResourceScale rows say since when.
    scale: Mapped[str | None] = mapped_column(sa.String(12))
    story_count: Mapped[int] = mapped_column(default=0, server_default="0")
    released_on: Mapped[date | None]  # None: unknown, and the page says so
    retired_on: Mapped[date | None]  # None: still offered, or unknown (see source)
    source: Mapped[str] = mapped_column(sa.Text, default="", server_default="")  # where the dates and scale come from

    aliases: Mapped[list["ResourceAlias"]] = relationship(back_populates="resource", cascade="all, delete-orphan")
    scale_periods: Mapped[list["ResourceScale"]] = relationship(
        back_populates="resource", cascade="all, delete-orphan", order_by="ResourceScale.valid_from",
        lazy="selectin")

    @property
    def step_codes(self) -> list[str]:
        return self.steps.split()

    @property
    def kind_label(self) -> str:
        return RESOURCE_KINDS.get(self.kind, self.kind)

    def __repr__(self) -> str:
        return f"<Resource {self.slug}>"


class ResourceAlias(db.Model):
    """A name people type for a resource. One alias may name several resources ("uworld" for each step's QBank)."""

    __tablename__ = "resource_aliases"
    __table_args__ = (sa.UniqueConstraint("resource_id", "alias_key", name="uq_resource_aliases_resource_alias"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(sa.ForeignKey("resources.id", ondelete="CASCADE"))
    alias_key: Mapped[str] = mapped_column(sa.String(120), index=True)

    resource: Mapped[Resource] = relationship(back_populates="aliases")


class ResourceScale(db.Model):
    """The scale a self-assessment reported from a date on (valid_from None: from its first form), with its source.

    NBME's Step 1 forms reported a 3-digit score, then from late February 2022 a percent correct: the scale belongs
    to the score, decided by the assessment and the day it was taken (forum.scales).
    """

    __tablename__ = "resource_scales"
    __table_args__ = (sa.UniqueConstraint("resource_id", "valid_from", name="uq_resource_scales_resource_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(sa.ForeignKey("resources.id", ondelete="CASCADE"))
    valid_from: Mapped[date | None]
    scale: Mapped[str] = mapped_column(sa.String(12))
    source: Mapped[str] = mapped_column(sa.Text, default="", server_default="")

    resource: Mapped[Resource] = relationship(back_populates="scale_periods")


class StoryResource(db.Model):
    __tablename__ = "story_resources"
    __table_args__ = (sa.Index("ix_story_resources_resource_story", "resource_id", "story_id"),)

    story_id: Mapped[int] = mapped_column(sa.ForeignKey("stories.id", ondelete="CASCADE"), primary_key=True)
    resource_id: Mapped[int] = mapped_column(sa.ForeignKey("resources.id", ondelete="CASCADE"), primary_key=True)
    rating: Mapped[int | None] = mapped_column(sa.SmallInteger)
    note: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    position: Mapped[int] = mapped_column(sa.SmallInteger, default=0, server_default="0")

    story: Mapped[Story] = relationship(back_populates="resource_links")
    resource: Mapped[Resource] = relationship(lazy="joined", innerjoin=True)


class ResourceSuggestion(db.Model):
    """A resource name a writer typed that the catalogue does not know: kept for moderators, never dropped."""

    __tablename__ = "resource_suggestions"

    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int] = mapped_column(sa.ForeignKey("stories.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    rating: Mapped[int | None] = mapped_column(sa.SmallInteger)
    note: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    position: Mapped[int] = mapped_column(sa.SmallInteger, default=0, server_default="0")  # among the story's rows

    story: Mapped[Story] = relationship()


class PracticeScore(db.Model):
    __tablename__ = "practice_scores"

    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int] = mapped_column(sa.ForeignKey("stories.id", ondelete="CASCADE"), index=True)
    resource_id: Mapped[int] = mapped_column(sa.ForeignKey("resources.id", ondelete="CASCADE"), index=True)
    score: Mapped[float] = mapped_column(sa.Float)
    # three_digit | percent: decided by the assessment and taken_on when it is saved (forum.scales), kept per row
    scale: Mapped[str] = mapped_column(sa.String(12), default="three_digit", server_default="three_digit")
    taken_on: Mapped[date]

    story: Mapped[Story] = relationship(back_populates="practice_scores")
    resource: Mapped[Resource] = relationship(lazy="joined", innerjoin=True)


class Revision(db.Model):
    """The text of a story or comment as it was before an edit."""

    __tablename__ = "revisions"
    __table_args__ = (sa.Index("ix_revisions_item", "item_type", "item_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_type: Mapped[str] = mapped_column(sa.String(10))
    item_id: Mapped[int]
    title: Mapped[str] = mapped_column(sa.String(150), default="", server_default="")
    body: Mapped[str] = mapped_column(sa.Text)
    # The whole record of the version as JSON (forum.history): exam fields, resources, practice scores. Empty for
    # versions saved before it existed, which kept the title and text only.
    snapshot: Mapped[str] = mapped_column(sa.Text, default="", server_default="")
    editor_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A moderator's redaction: a hidden version is shown to moderators only, with who hid it and why (logged).
    hidden_at: Mapped[datetime | None]
    hidden_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    hidden_reason: Mapped[str] = mapped_column(sa.String(500), default="", server_default="")

    editor: Mapped[User] = relationship(lazy="joined", innerjoin=True, foreign_keys=[editor_id])
    hidden_by: Mapped[User | None] = relationship(foreign_keys=[hidden_by_id])

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None


class Journey(db.Model):
    """An author's linked attempts at one step (attempt 1 failed, attempt 2 passed ...): forum.journeys."""

    __tablename__ = "journeys"

    id: Mapped[int] = mapped_column(primary_key=True)
    author_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    step: Mapped[str] = mapped_column(sa.String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ScoreReport(db.Model):
    """An uploaded score report waiting for a moderator (forum.verification). Kept in the database so every host
    can serve it; deleted the moment a moderator decides, whatever the decision."""

    __tablename__ = "score_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    story_id: Mapped[int] = mapped_column(sa.ForeignKey("stories.id", ondelete="CASCADE"), unique=True)
    uploader_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(sa.String(120))
    content_type: Mapped[str] = mapped_column(sa.String(40))
    size: Mapped[int]
    content: Mapped[bytes] = mapped_column(sa.LargeBinary, deferred=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    story: Mapped[Story] = relationship(lazy="joined", innerjoin=True)
    uploader: Mapped[User] = relationship(lazy="joined", innerjoin=True)
