"""Turning a validated story form into rows. The view owns the transaction: nothing here commits."""
from collections.abc import Callable

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value

from .. import catalogue, history, markup, moderation, ranking, search, verification
from ..extensions import db
from ..models import PracticeScore, ResourceSuggestion, Revision, Story, StoryResource, User, utcnow
from ..models.stories import alias_key, slugify
from .forms import StoryForm


def create_story(*, author: User, form: StoryForm) -> Story:
    now = utcnow()
    story = Story(author=author, created_at=now, submission_key=form.submission_key.data, votes=0,
                  hot=ranking.hot(0, now), resource_links=[], practice_scores=[])
    apply_form(story, form)
    db.session.add(story)
    return story


def update_story(*, story: Story, form: StoryForm, editor: User, reason: str = "",
                 hide_replaced: bool = False) -> bool:
    """Apply the form and keep the version it replaces, whole, as a revision (forum.history); log the edit when it
    is not the author's own. A save that changes nothing keeps no revision and leaves the story unmarked; False.

    A changed score or outcome is dated on the story, so every card says the result was edited after publication.

    hide_replaced is a moderator's redaction: the version this edit replaces and every earlier one are hidden from
    everyone but moderators, since they still hold what the edit took out, each hide logged with the edit's reason.
    """
    before = history.snapshot(story)  # needs the story loaded with details (loaders.story_or_404)
    apply_form(story, form)  # renders the Markdown before anything here writes (forum/database.py)
    db.session.flush()  # column defaults filled in (a practice score's scale), so both versions read alike
    after = history.snapshot(story)
    if after == before:
        return False
    now = utcnow()
    replaced = Revision(item_type="story", item_id=story.id, title=before["title"], body=before["body"],
                        snapshot=history.dumps(before), editor=editor, created_at=now)
    db.session.add(replaced)
    story.edited_at = now
    if after["score"] != before["score"]:
        story.score_edited_at = now
    if after["outcome"] != before["outcome"]:
        story.outcome_edited_at = now
    verification.lapse_if_record_changed(story, before)  # a changed result is not what a moderator verified
    if editor.id == story.author_id:
        return True
    reason = reason or "edited by a moderator"
    moderation.record(actor=editor, action="edit_story", target_type="story", target_id=story.id,
                      target_label=story.title, reason=reason)
    if hide_replaced:
        db.session.flush()  # the new revision's id, for the log
        shown = db.session.scalars(sa.select(Revision).where(
            Revision.item_type == "story", Revision.item_id == story.id, Revision.hidden_at.is_(None))).all()
        for revision in shown:
            hide_revision(revision, actor=editor, reason=reason)
    return True


def hide_revision(revision: Revision, *, actor: User, reason: str) -> None:
    """A redaction: the version is shown to moderators only from now on. The public log names it by number."""
    revision.hidden_at, revision.hidden_by_id, revision.hidden_reason = utcnow(), actor.id, reason
    moderation.record(actor=actor, action="hide_revision", target_type="revision", target_id=revision.id,
                      reason=reason)


def unhide_revision(revision: Revision, *, actor: User, reason: str) -> None:
    revision.hidden_at, revision.hidden_by_id, revision.hidden_reason = None, None, ""
    moderation.record(actor=actor, action="unhide_revision", target_type="revision", target_id=revision.id,
                      reason=reason)


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
    story.search_extra = search.story_text(story, [link.resource for link in story.resource_links],
                                           typed=[s.name for s in story.resource_suggestions])
    story.practice_scores = [PracticeScore(resource=row.resource, score=row.score, taken_on=row.taken_on,
                                           scale=row.scale) for row in form.practice_rows]


def set_resources(story: Story, rows: list[tuple[str, int | None, str]]) -> None:
    """Link catalogue matches; keep every unmatched name, with its rating and note, as a suggestion.

    A suggestion is shown on the story as typed ("not in our catalogue yet") and survives every edit: the edit form
    offers it again like any other row, and a row kept unchanged keeps its suggestion (and its age in the
    moderators' list). It becomes a link when a moderator adds or merges it (catalogue.adopt_suggestions).
    """
    matches = catalogue.resolve([name for name, _, _ in rows], story.step)
    touched = {link.resource_id for link in story.resource_links}
    links, suggestions = [], []
    earlier_all = []
    if story.id is not None:
        earlier_all = list(db.session.scalars(sa.select(ResourceSuggestion).where(
            ResourceSuggestion.story_id == story.id, ResourceSuggestion.resolved.is_(False))))
    earlier = {alias_key(s.name): s for s in earlier_all}
    for position, (name, rating, note) in enumerate(rows):
        resource = matches[name]
        if resource is None:
            same = earlier.pop(alias_key(name), None)
            if same is not None:
                same.name, same.rating, same.note, same.position = name, rating, note, position
            else:
                suggestions.append(ResourceSuggestion(story=story, name=name, rating=rating, note=note,
                                                      position=position))
        elif all(link.resource_id != resource.id for link in links):
            links.append(StoryResource(resource=resource, resource_id=resource.id, rating=rating, note=note,
                                       position=position))
    story.resource_links = links
    kept = [old for old in earlier_all if old not in earlier.values()]
    for dropped in earlier.values():  # the writer took the name out of the story
        db.session.delete(dropped)
    db.session.add_all(suggestions)
    # The story's view of its open suggestions (viewonly, so not kept in step by the ORM): what the page, the
    # history snapshot and the search words read from now on.
    set_committed_value(story, "resource_suggestions", sorted(kept + suggestions, key=lambda s: s.position))
    story._touched_resources = touched | {link.resource_id for link in links}


def refresh_counts_for(story: Story) -> None:
    """After the flush: the catalogue's cached story counts for every resource this change touched."""
    ids = list(getattr(story, "_touched_resources", set()) | {link.resource_id for link in story.resource_links})
    if ids:
        catalogue.refresh_story_counts(ids)


def soft_delete(story: Story) -> None:
    story.status = "deleted"
    story.status_reason = "deleted by its author"
    verification.discard_pending(story.id)  # a deleted story is not checked: its score report goes with it


def rerender_all(*, progress: Callable[[int, int], None] | None = None) -> int:
    """Render every story's Markdown again, after a change to the markup policy; returns how many changed.

    Stories stream 500 at a time, so 100,000 of them never sit in memory at once; progress(done, total), when
    given, hears of each one (`flask stories rerender` draws a bar with it)."""
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Story))
    changed = 0
    stories = db.session.scalars(sa.select(Story).execution_options(yield_per=500))
    for done, story in enumerate(stories, 1):
        html = markup.render(story.body)
        if html != story.body_html:
            story.body_html = html
            changed += 1
        if progress:
            progress(done, total)
    return changed
