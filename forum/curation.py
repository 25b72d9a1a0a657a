"""Hubs and their featured cards: what the front page and the step hubs show, and the moderators' changes to it.

Plain functions over the session: no request, no commit. The view that calls them owns the transaction, and each
change writes exactly one line to the moderation log through moderation.record.
"""
import json
import re
from datetime import datetime
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager

from . import exam, markup, moderation
from .extensions import db
from .models import Feature, Hub, Story, User, utcnow

HUBS_PATH = Path(__file__).parent / "data" / "hubs.json"
HOME = "home"
HUB_SLUGS = (HOME, *exam.STEP_CODES)  # a hub's slug is "home" or a step code
HEADLINE_MAX, TEASER_MAX = 150, 600  # the columns' lengths
TEASER_CHARS = 280  # about three lines of a card: enough to say what the story is, short enough to scan a grid
# A cut teaser ends at a sentence when one ends past this point; earlier, the word cut keeps more of the story.
MIN_SENTENCE_CHARS = 80
_SENTENCE_END = re.compile(r"[.!?][\"'’”)]?\s")


@cache
def hub_texts() -> dict[str, dict]:
    """The shipped hub texts by slug (read once: the file changes only with a deploy)."""
    return {entry["slug"]: entry for entry in json.loads(HUBS_PATH.read_text(encoding="utf-8"))}


def hub_name(slug: str) -> str:
    """How the log and the forms name a hub: "the front page", "the Step 1 hub"."""
    return "the front page" if slug == HOME else f"the {exam.STEPS[slug].label} hub"


def hub_from_file(slug: str) -> Hub:
    """A hub as the shipped file has it, not added to the session: what a page shows before `flask hubs load`."""
    entry = hub_texts()[slug]
    return Hub(slug=slug, title=entry["title"], intro=entry["intro"], intro_html=markup.render(entry["intro"]))


def ensure_hubs() -> int:
    """Create the hubs the database lacks from the shipped file; hubs that exist keep their (edited) texts."""
    have = set(db.session.scalars(sa.select(Hub.slug)))
    missing = [slug for slug in hub_texts() if slug not in have]
    for slug in missing:
        db.session.add(hub_from_file(slug))
    db.session.flush()
    return len(missing)


def get_hub(slug: str) -> Hub | None:
    return db.session.scalar(sa.select(Hub).where(Hub.slug == slug))


def hub_for_page(slug: str) -> Hub:
    """The hub row, or the file's text while the row does not exist yet: a page view never writes."""
    return get_hub(slug) or hub_from_file(slug)


def _live(now: datetime) -> sa.ColumnElement[bool]:
    """A feature is shown while its story is published and its end date has not passed."""
    return sa.and_(Story.status == "published", sa.or_(Feature.expires_at.is_(None), Feature.expires_at > now))


def featured(hub_slug: str, now: datetime) -> list[Feature]:
    """The cards a hub shows, in moderator order, with each story and its author loaded by this one query."""
    query = (sa.select(Feature).join(Feature.hub).join(Feature.story)
             .where(Hub.slug == hub_slug, _live(now))
             .options(contains_eager(Feature.story), contains_eager(Feature.hub))
             .order_by(Feature.position, Feature.id))
    return list(db.session.scalars(query))


def features_of_story(story: Story) -> list[Feature]:
    """Every hub a story is featured on (shown or not), for the feature form."""
    query = (sa.select(Feature).join(Feature.hub).where(Feature.story_id == story.id)
             .options(contains_eager(Feature.hub)).order_by(Hub.id))
    return list(db.session.scalars(query))


def default_teaser(story: Story) -> str:
    """The story's opening sentences as plain text, about TEASER_CHARS long."""
    text = markup.render_plain_excerpt(story.body, TEASER_CHARS)
    if not text.endswith(markup.ELLIPSIS):
        return text
    ends = [m.end() for m in _SENTENCE_END.finditer(text) if m.start() >= MIN_SENTENCE_CHARS]
    return text[:ends[-1]].rstrip() if ends else text


def _label(story: Story, hub: Hub) -> str:
    return f"{story.title} · {hub_name(hub.slug)}"


def feature(*, hub: Hub, story: Story, actor: User | None, headline: str | None = None, teaser: str | None = None,
            expires_at: datetime | None = None, reason: str = "") -> Feature:
    """Show a story as a card on a hub, last in order; featuring it again there updates its card in place."""
    if not story.is_published:
        raise ValueError("only published stories can be featured")
    card = db.session.scalar(sa.select(Feature).where(Feature.hub_id == hub.id, Feature.story_id == story.id))
    if card is None:
        last = db.session.scalar(sa.select(sa.func.max(Feature.position)).where(Feature.hub_id == hub.id))
        card = Feature(hub_id=hub.id, story_id=story.id, position=0 if last is None else last + 1)
        db.session.add(card)
    card.headline = (headline or story.title)[:HEADLINE_MAX]
    card.teaser = (teaser or default_teaser(story))[:TEASER_MAX]
    card.expires_at = expires_at
    card.featured_by_id = actor.id if actor else None
    db.session.flush()
    moderation.record(actor=actor, action="feature", target_type="story", target_id=story.id,
                      target_label=_label(story, hub), reason=reason)
    return card


def unfeature(feature: Feature, *, actor: User | None, reason: str = "") -> None:
    """Take a card off its hub. The feature must come with its story and hub loaded (see get_feature)."""
    moderation.record(actor=actor, action="unfeature", target_type="story", target_id=feature.story_id,
                      target_label=_label(feature.story, feature.hub), reason=reason)
    db.session.delete(feature)
    db.session.flush()


def move(feature: Feature, direction: str, *, actor: User | None, now: datetime | None = None) -> bool:
    """Swap a card with the neighbouring card readers see, then number the hub's cards 0, 1, 2 ... again.

    Hidden cards (expired, story removed) keep their places but are skipped over, so every press visibly moves
    the card. Renumbering makes equal positions, which concurrent features can leave behind, harmless.
    Returns False, and logs nothing, when the card is already first (up) or last (down).
    """
    if direction not in ("up", "down"):
        raise ValueError(f"direction is up or down, not {direction!r}")
    now = now or utcnow()
    cards = list(db.session.scalars(
        sa.select(Feature).join(Feature.story).where(Feature.hub_id == feature.hub_id)
        .options(contains_eager(Feature.story)).order_by(Feature.position, Feature.id)))
    shown = [card for card in cards if card.story.is_published and (card.expires_at is None or card.expires_at > now)]
    if feature not in shown:
        return False
    index = shown.index(feature) + (-1 if direction == "up" else 1)
    if not 0 <= index < len(shown):
        return False
    a, b = cards.index(feature), cards.index(shown[index])
    cards[a], cards[b] = cards[b], cards[a]
    for position, card in enumerate(cards):
        card.position = position
    db.session.flush()
    moderation.record(actor=actor, action="reorder", target_type="story", target_id=feature.story_id,
                      target_label=_label(feature.story, feature.hub), reason=f"moved {direction}")
    return True


def get_feature(feature_id: int) -> Feature | None:
    """A feature with its story and hub, as unfeature and move need them."""
    return db.session.scalar(sa.select(Feature).join(Feature.story).join(Feature.hub).where(Feature.id == feature_id)
                             .options(contains_eager(Feature.story), contains_eager(Feature.hub)))


def edit_intro(slug: str, intro: str, *, actor: User | None, reason: str = "") -> Hub:
    """Replace a hub's intro (Markdown), rendered once here rather than on every page view, and before anything is
    written: from its first write a transaction holds SQLite's write lock until it commits (forum/database.py)."""
    intro_html = markup.render(intro)
    hub = get_hub(slug)
    if hub is None:  # the page showed the shipped text; the rows are written now, by this POST
        ensure_hubs()
        hub = get_hub(slug)
    hub.intro, hub.intro_html = intro, intro_html
    db.session.flush()
    moderation.record(actor=actor, action="edit_hub", target_type="hub", target_id=hub.id,
                      target_label=hub_name(hub.slug), reason=reason)
    return hub
