"""Turning a validated story form into rows. The view owns the transaction: nothing here commits."""
import sqlalchemy as sa

from .. import catalogue, markup, moderation, ranking, search
from ..extensions import db
from ..models import PracticeScore, ResourceSuggestion, Revision, Story, StoryResource, User, utcnow
from ..models.stories import slugify
from .forms import StoryForm


def create_story(*, author: User, form: StoryForm) -> Story:
    now = utcnow()
    story = Story(author=author, created_at=now, submission_key=form.submission_key.data, votes=0,
                  hot=ranking.hot(0, now), resource_links=[], practice_scores=[])
    apply_form(story, form)
    db.session.add(story)
    return story


def update_story(*, story: Story, form: StoryForm, editor: User, reason: str = "") -> None:
    """Keep the old text as a revision, apply the form, and log the edit when it is not the author's own."""
    if (story.title, story.body) != (form.title.data, form.body.data):
        db.session.add(Revision(item_type="story", item_id=story.id, title=story.title, body=story.body,
                                editor=editor))
    apply_form(story, form)
    story.edited_at = utcnow()
    if editor.id != story.author_id:
        moderation.record(actor=editor, action="edit_story", target_type="story", target_id=story.id,
                          target_label=story.title, reason=reason or "edited by a moderator")


def apply_form(story: Story, form: StoryForm) -> None:
    record = form.record
    story.title = form.title.data
    story.slug = slugify(form.title.data)
    story.body = form.body.data
    story.body_html = markup.render(form.body.data)
    story.step, story.exam_month, story.attempt = record["step"], record["exam_month"], record["attempt"]
    story.outcome, story.score, story.prep_weeks = record["outcome"], record["score"], record["prep_weeks"]
    story.background = record["background"]
    set_resources(story, form.resource_rows())
    story.search_extra = search.story_text(story, [link.resource for link in story.resource_links])
    story.practice_scores = [PracticeScore(resource=resource, score=score, taken_on=taken_on)
                             for resource, score, taken_on in form.practice_rows]


def set_resources(story: Story, rows: list[tuple[str, int | None, str]]) -> None:
    """Link catalogue matches; keep every unmatched name as a suggestion for moderators."""
    matches = catalogue.resolve([name for name, _, _ in rows], story.step)
    touched = {link.resource_id for link in story.resource_links}
    links, suggestions = [], []
    for position, (name, rating, note) in enumerate(rows):
        resource = matches[name]
        if resource is None:
            suggestions.append(ResourceSuggestion(story=story, name=name, rating=rating, note=note))
        elif all(link.resource_id != resource.id for link in links):
            links.append(StoryResource(resource=resource, resource_id=resource.id, rating=rating, note=note,
                                       position=position))
    story.resource_links = links
    if story.id is not None:
        db.session.execute(sa.delete(ResourceSuggestion).where(ResourceSuggestion.story_id == story.id,
                                                               ResourceSuggestion.resolved.is_(False)))
    db.session.add_all(suggestions)
    story._touched_resources = touched | {link.resource_id for link in links}


def refresh_counts_for(story: Story) -> None:
    """After the flush: the catalogue's cached story counts for every resource this change touched."""
    ids = list(getattr(story, "_touched_resources", set()) | {link.resource_id for link in story.resource_links})
    if ids:
        catalogue.refresh_story_counts(ids)


def soft_delete(story: Story) -> None:
    story.status = "deleted"
    story.status_reason = "deleted by its author"
