"""The resource catalogue: load it from forum/data, resolve what writers type, merge duplicates."""
import json
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from . import moderation
from .extensions import db
from .models import (
    PracticeScore,
    Resource,
    ResourceAlias,
    ResourceScale,
    ResourceSuggestion,
    StoryResource,
    User,
    alias_key,
)

CATALOGUE_PATH = Path(__file__).parent / "data" / "resources.json"


def load(path: Path = CATALOGUE_PATH, *, progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """Upsert every entry by slug, so running it again changes only what the file changed; progress(done, total),
    when given, hears of each entry (the CLI draws a bar with it).

    Besides names and aliases an entry may carry "released" and "retired" ("YYYY-MM-DD" or null: unknown, or still
    offered), "source" (where those come from) and "scales": the dated scale periods of a self-assessment
    (forum.scales), kept in step with the file by their start day.
    """
    entries = json.loads(path.read_text(encoding="utf-8"))
    existing = {r.slug: r for r in db.session.scalars(sa.select(Resource))}
    created = updated = 0
    for done, entry in enumerate(entries, 1):
        resource = existing.get(entry["slug"])
        if resource is None:
            resource = Resource(slug=entry["slug"])
            db.session.add(resource)
            created += 1
        before = _fields(resource)
        resource.name = entry["name"]
        resource.kind = entry["kind"]
        resource.steps = " ".join(entry["steps"])
        resource.description = entry.get("description", "")
        resource.scale = entry.get("scale")
        resource.released_on = _day(entry.get("released"))
        resource.retired_on = _day(entry.get("retired"))
        resource.source = entry.get("source") or ""
        periods_changed = set_scale_periods(resource, entry.get("scales") or [])
        if resource.id is not None and (before != _fields(resource) or periods_changed):
            updated += 1
        add_aliases(resource, [entry["name"], entry["slug"], *entry.get("aliases", [])])
        if progress:
            progress(done, len(entries))
    db.session.flush()
    return {"created": created, "updated": updated, "total": len(entries)}


def _fields(resource: Resource) -> tuple:
    return (resource.name, resource.kind, resource.steps, resource.description, resource.scale,
            resource.released_on, resource.retired_on, resource.source)


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def set_scale_periods(resource: Resource, rows: list[dict]) -> bool:
    """Make the resource's scale periods those of the file: update by start day, add new, drop the rest.

    Returns whether anything changed. The file is their only writer (moderators edit Resource.scale, not periods).
    """
    wanted = {_day(row["from"]): (row["scale"], row.get("source") or "") for row in rows}
    have = {period.valid_from: period for period in resource.scale_periods}
    changed = False
    for valid_from, period in have.items():
        if valid_from not in wanted:
            resource.scale_periods.remove(period)
            changed = True
    for valid_from, (scale, source) in wanted.items():
        period = have.get(valid_from)
        if period is None:
            resource.scale_periods.append(ResourceScale(valid_from=valid_from, scale=scale, source=source))
            changed = True
        elif (period.scale, period.source) != (scale, source):
            period.scale, period.source = scale, source
            changed = True
    return changed


def add_aliases(resource: Resource, names: list[str]) -> None:
    have = {a.alias_key for a in resource.aliases}
    for name in names:
        key = alias_key(name)
        if key and key not in have:
            resource.aliases.append(ResourceAlias(alias_key=key))
            have.add(key)


def save_resource(resource: Resource | None, *, actor: User, name: str, slug: str, kind: str, steps: list[str],
                  scale: str | None, description: str, aliases: list[str]) -> Resource:
    """Add a resource (resource=None) or change one, and log it; the caller has checked the slug is free."""
    adding = resource is None
    if adding:
        resource = Resource(slug=slug)
        db.session.add(resource)
    resource.slug = slug
    resource.name = name
    resource.kind = kind
    resource.steps = " ".join(steps)
    resource.scale = scale or None
    resource.description = description
    add_aliases(resource, [name, slug, *aliases])
    db.session.flush()
    moderation.record(actor=actor, action="add_resource" if adding else "edit_resource", target_type="resource",
                      target_id=resource.id, target_label=resource.name)
    adopt_suggestions(resource)
    return resource


def slug_taken(slug: str, *, other_than: Resource | None = None) -> bool:
    query = sa.select(Resource.id).where(Resource.slug == slug)
    if other_than is not None:
        query = query.where(Resource.id != other_than.id)
    return db.session.scalar(query) is not None


def resolve(names: list[str], step: str | None) -> dict[str, Resource | None]:
    """Map each typed name to a catalogue resource, in one query.

    An alias can name several resources ("uworld" is a QBank for each step): the one serving the story's step wins,
    then an exact name match, then the oldest entry.
    """
    keys = {alias_key(name) for name in names if alias_key(name)}
    candidates: dict[str, list[Resource]] = {}
    if keys:
        rows = db.session.execute(
            sa.select(ResourceAlias.alias_key, Resource).join(Resource).where(ResourceAlias.alias_key.in_(keys))
        ).all()
        for key, resource in rows:
            candidates.setdefault(key, []).append(resource)

    def best(key: str) -> Resource | None:
        options = candidates.get(key, [])
        if not options:
            return None
        return min(options, key=lambda r: (step not in r.step_codes, alias_key(r.name) != key, r.id))

    return {name: best(alias_key(name)) for name in names}


def natural_key(name: str) -> list:
    """Sort key that reads numbers as numbers: 'Form 6' before 'Form 10' (a plain sort puts 10 first)."""
    return [int(part) if part.isdigit() else part.casefold() for part in re.split(r"(\d+)", name)]


def self_assessments() -> list[Resource]:
    return list(db.session.scalars(
        sa.select(Resource).where(Resource.kind == "self-assessment").order_by(Resource.name)))


def all_resources() -> list[Resource]:
    return list(db.session.scalars(sa.select(Resource).order_by(Resource.name)))


def merge(*, source: Resource, target: Resource, actor: User, reason: str) -> None:
    """Fold source into target: every story link, practice score and alias moves; source is deleted."""
    if source.id == target.id:
        raise ValueError("A resource cannot be merged into itself.")
    # A story that links both keeps its link to the target (and the target's rating).
    both = sa.select(StoryResource.story_id).where(StoryResource.resource_id == target.id)
    db.session.execute(sa.delete(StoryResource).where(
        StoryResource.resource_id == source.id, StoryResource.story_id.in_(both)))
    db.session.execute(sa.update(StoryResource).where(StoryResource.resource_id == source.id)
                       .values(resource_id=target.id))
    db.session.execute(sa.update(PracticeScore).where(PracticeScore.resource_id == source.id)
                       .values(resource_id=target.id))
    add_aliases(target, [source.name, source.slug, *(a.alias_key for a in source.aliases)])
    target.steps = " ".join(sorted(set(target.step_codes) | set(source.step_codes)))
    moderation.record(actor=actor, action="merge_resource", target_type="resource", target_id=target.id,
                      target_label=f"{source.name} -> {target.name}", reason=reason)
    db.session.delete(source)
    db.session.flush()
    adopt_suggestions(target)
    refresh_story_counts([target.id])
    refresh_search_text(target)


def assign_suggestion(suggestion: ResourceSuggestion, *, target: Resource, actor: User, reason: str) -> int:
    """A typed name is another name for a resource we have: it becomes an alias, and every story that typed it
    links the resource, keeping the writer's rating and note. Returns how many stories moved."""
    add_aliases(target, [suggestion.name])
    db.session.flush()
    moderation.record(actor=actor, action="merge_suggestion", target_type="resource", target_id=target.id,
                      target_label=f"{suggestion.name} -> {target.name}", reason=reason)
    return adopt_suggestions(target)


def adopt_suggestions(resource: Resource) -> int:
    """Move every open suggestion that one of the resource's names matches onto the resource.

    A story that typed "Zebra Notes" before the catalogue knew it links the new entry, in the same place among
    its resources, with the rating and note the writer gave; a story that already links the resource keeps its
    link. Returns how many suggestions moved.
    """
    from . import caching, search
    from .models import Story

    keys = {a.alias_key for a in resource.aliases}
    open_rows = [s for s in db.session.scalars(sa.select(ResourceSuggestion).where(
        ResourceSuggestion.resolved.is_(False))) if alias_key(s.name) in keys] if keys else []
    if not open_rows:
        return 0
    linked = set(db.session.scalars(sa.select(StoryResource.story_id).where(
        StoryResource.resource_id == resource.id,
        StoryResource.story_id.in_({s.story_id for s in open_rows}))))
    for suggestion in open_rows:
        if suggestion.story_id not in linked:
            db.session.add(StoryResource(story_id=suggestion.story_id, resource_id=resource.id,
                                         rating=suggestion.rating, note=suggestion.note,
                                         position=suggestion.position))
            linked.add(suggestion.story_id)
        suggestion.resolved = True
    db.session.flush()
    story_ids = sorted({s.story_id for s in open_rows})
    for story in db.session.scalars(sa.select(Story).where(Story.id.in_(story_ids))
                                    .options(selectinload(Story.resource_links),
                                             selectinload(Story.resource_suggestions))):
        story.search_extra = search.story_text(story, [link.resource for link in story.resource_links],
                                               typed=[s.name for s in story.resource_suggestions])
    refresh_story_counts([resource.id])
    # Catalogue edits are rare and show on resource pages, listings and story pages alike: retire everything, as
    # an undeclared write would (declaring only the stories here would let the resource page go stale).
    caching.retire(caching.SITE)
    return len(open_rows)


def refresh_search_text(resource: Resource) -> None:
    """Rewrite the search words of every story using a resource whose names changed."""
    from . import search
    from .models import Story

    stories = db.session.scalars(sa.select(Story).join(StoryResource).where(StoryResource.resource_id == resource.id)
                                 .options(selectinload(Story.resource_links)))
    for story in stories:
        story.search_extra = search.story_text(story, [link.resource for link in story.resource_links])


def refresh_story_counts(resource_ids: list[int] | None = None) -> None:
    """Recount the cached number of published stories that use each resource."""
    from .models import Story

    count = (sa.select(sa.func.count()).select_from(StoryResource).join(Story)
             .where(StoryResource.resource_id == Resource.id, Story.status == "published").scalar_subquery())
    statement = sa.update(Resource).values(story_count=count)
    if resource_ids is not None:
        statement = statement.where(Resource.id.in_(resource_ids))
    db.session.execute(statement)


def open_suggestions() -> list[ResourceSuggestion]:
    # selectin: an outer join to stories (whose author is joined too) is one SQLite answers by scanning them all
    return list(db.session.scalars(sa.select(ResourceSuggestion).where(ResourceSuggestion.resolved.is_(False))
                                   .options(selectinload(ResourceSuggestion.story))
                                   .order_by(ResourceSuggestion.created_at.desc()).limit(200)))
