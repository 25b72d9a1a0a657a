"""Retake journeys: an author links their stories about one step as attempt 1, 2, 3 ..., each with what changed.

A reader who has just failed wants the people who failed and then passed, and what they did differently; one story
rarely tells both halves. The author links the halves. Each author has at most one journey per step (linking joins
it), since a journey is "my attempts at Step 1", and stories keep their own attempt number, month and outcome: the
journey only says which stories belong together.

The spacing and attempt-limit rules (exam.validate_journey) are checked among the linked stories only, not across
everything an author wrote: authors write several stories about one attempt, or leave one out of their journey,
and an unlinked story claims nothing about the others. Nothing here commits: the view owns the transaction.
"""
from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from . import caching, exam
from .extensions import db
from .models import Journey, Story, User

NOTE_MAX = 300  # Story.journey_note's column: a few sentences, "what changed this time"


class JourneyRefused(ValueError):
    """The stories cannot be one journey; `problems` are messages for the author, one per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = problems


def candidates(story: Story) -> list[Story]:
    """The author's other published stories at the story's step, in attempt order: what its journey may link."""
    return list(db.session.scalars(
        sa.select(Story).where(Story.author_id == story.author_id, Story.step == story.step,
                               Story.status == "published", Story.id != story.id)
        .order_by(Story.attempt, Story.exam_month, Story.id)))


def journey_for(story: Story) -> list[Story]:
    """The stories of the story's journey, itself included, in attempt order, in one query (none without a journey);
    a journey left with fewer than two readable stories shows nothing. Deleted and removed attempts are left out,
    except the story itself (a moderator reading a removed story still sees where it stood)."""
    if story.journey_id is None:
        return []
    members = list(db.session.scalars(
        sa.select(Story).where(Story.journey_id == story.journey_id,
                               sa.or_(Story.status == "published", Story.id == story.id))
        .order_by(Story.attempt, Story.exam_month, Story.id)))
    return members if len(members) > 1 else []


def link_problems(author: User, stories: list[Story]) -> list[str]:
    """Why these stories cannot be the author's journey, for the author; empty when they can."""
    distinct = list({story.id: story for story in stories}.values())
    if len(distinct) < 2:
        return ["Pick at least one other story: a journey links two attempts or more."]
    step = distinct[0].step
    problems = []
    for story in distinct:  # titles only of the author's own published stories: a removed title stays unseen
        if story.author_id != author.id:
            problems.append("One of the stories you picked is another member's: a journey links your own stories "
                            "only.")
        elif story.status != "published":
            problems.append("One of the stories you picked is deleted or removed, so it cannot be linked.")
        elif story.step != step:
            problems.append(f"“{story.title}” is about {exam.STEPS[story.step].label}: a journey links attempts at "
                            f"one step, here {exam.STEPS[step].label}.")
    if problems:
        return problems
    return exam.validate_journey([(s.attempt, s.exam_month) for s in distinct], step=step)


def link(author: User, stories: list[Story], *, notes: dict[int, str] | None = None) -> Journey:
    """Make these stories (two or more, the author's own, published, one step) the author's journey at their step:
    join the journey the author already has there, or start one. Stories of that journey not listed leave it, so
    a form that shows the whole journey saves exactly what it shows. `notes` sets "what changed" by story id.

    Raises JourneyRefused with the reasons when link_problems finds any; nothing is changed then.
    """
    problems = link_problems(author, stories)
    if problems:
        raise JourneyRefused(problems)
    stories = list({story.id: story for story in stories}.values())
    step = stories[0].step
    journey = db.session.scalar(sa.select(Journey).where(Journey.author_id == author.id, Journey.step == step)
                                .order_by(Journey.id).limit(1))
    if journey is None:
        journey = Journey(author_id=author.id, step=step)
        db.session.add(journey)
        db.session.flush()  # its id, for the stories
    chosen = {story.id for story in stories}
    leaving = list(db.session.scalars(sa.select(Story).where(Story.journey_id == journey.id,
                                                             Story.id.not_in(chosen))))
    for story in leaving:
        story.journey_id, story.journey_note = None, ""
    for story in stories:
        story.journey_id = journey.id
    for story in stories:
        if notes and story.id in notes:
            story.journey_note = (notes[story.id] or "").strip()[:NOTE_MAX]
    db.session.flush()
    # Another journey of the author's at this step (two saves raced) is now empty, or the same as this one.
    db.session.execute(sa.delete(Journey).where(
        Journey.author_id == author.id, Journey.step == step, Journey.id != journey.id,
        ~sa.select(Story.id).where(Story.journey_id == Journey.id).exists()))
    _retire([*stories, *leaving])
    return journey


def unlink(story: Story) -> None:
    """Take the story out of its journey. A journey left with one story is no journey: it ends, and that story is
    unlinked too."""
    journey_id = story.journey_id
    if journey_id is None:
        return
    story.journey_id, story.journey_note = None, ""
    rest = list(db.session.scalars(sa.select(Story).where(Story.journey_id == journey_id, Story.id != story.id)))
    if len(rest) < 2:
        for other in rest:
            other.journey_id, other.journey_note = None, ""
        db.session.flush()
        db.session.execute(sa.delete(Journey).where(Journey.id == journey_id))
    _retire([story, *rest])


def failed_then_passed_clause() -> sa.ColumnElement[bool]:
    """A WHERE clause on Story: the story is published and belongs to a journey holding a published failed attempt
    followed (a higher attempt number) by a published passed attempt: "failed, then passed" in listings, search
    and the API. Every story of such a journey matches, the failed attempts included."""
    failed, passed = aliased(Story), aliased(Story)
    recovered = (sa.select(failed.journey_id)
                 .join(passed, sa.and_(passed.journey_id == failed.journey_id, passed.attempt > failed.attempt))
                 .where(failed.outcome == "failed", failed.status == "published",
                        passed.outcome == "passed", passed.status == "published"))
    return sa.and_(Story.status == "published", Story.journey_id.in_(recovered))


def problems_after_edit(story: Story, *, step: str, attempt: int, exam_month: date) -> list[str]:
    """What an edit of a linked story's step, attempt or month would break in its journey; empty when nothing.

    For the story form: the rules hold among linked stories when they are linked, and an edit must not undo that
    quietly. Changing the step of a linked story is refused: unlink it first."""
    if story.journey_id is None:
        return []
    if step != story.step:
        return [f"This story is linked in your {exam.STEPS[story.step].label} journey: take it out of the journey "
                "before you change its step."]
    others = db.session.execute(sa.select(Story.attempt, Story.exam_month).where(
        Story.journey_id == story.journey_id, Story.id != story.id, Story.status == "published")).all()
    return exam.validate_journey([(attempt, exam_month), *((a, m) for a, m in others)], step=step)


def _retire(stories: list[Story]) -> None:
    """Each linked or unlinked story's page shows the journey; listings and search can filter on it."""
    caching.retire(*(caching.story(story.id) for story in stories), caching.LISTINGS, caching.SEARCH)
