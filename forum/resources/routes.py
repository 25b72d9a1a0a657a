"""The resource catalogue's public pages; moderators edit it under /mod (forum/mod/catalogue.py)."""
from flask import redirect, render_template, request, url_for

from .. import catalogue, exam, loaders, resource_facts
from ..caching import cached_page
from ..insights import panels
from ..models import RESOURCE_KINDS, Resource, alias_key
from ..stories import listing
from . import bp, ratings

# The catalogue's title names what it shows: "Step 1 question banks", "Self-assessments", "Step 3 resources".
KIND_PLURALS = {"qbank": "question banks", "book": "books", "video": "video courses", "flashcards": "flashcards",
                "self-assessment": "self-assessments", "podcast": "podcasts", "course": "courses",
                "other": "other resources"}

# Editing the catalogue moved behind the moderators' door (forum/mod/catalogue.py). The old addresses answer
# 308 with the query string kept: 308 keeps a POST a POST with its body, so bookmarks and scripts keep working.
MOVED = {"/new": "mod.add_resource", "/suggestions": "mod.resource_suggestions",
         "/<slug>/edit": "mod.edit_resource", "/<slug>/merge": "mod.merge_resource"}


def moved(**view_args):
    target = MOVED[request.url_rule.rule.removeprefix(bp.url_prefix)]
    return redirect(url_for(target, **view_args, **request.args.to_dict(flat=False)), 308)


for _old, _target in MOVED.items():
    bp.add_url_rule(_old, endpoint=f"moved_{_target.removeprefix('mod.')}", view_func=moved, methods=["GET", "POST"])


def catalogue_filter(args) -> tuple[str, str, list[str]]:
    """(step code or "", kind or "", problems) from ?step=step1&kind=qbank. A value we do not know is left out
    of the filter and named in a problem, so the page still answers (with a 400) and says why."""
    step, kind, problems = args.get("step", ""), args.get("kind", ""), []
    if step not in ("", *exam.STEPS):
        problems.append(f"There is no step called “{step[:40]}”: showing every step.")
        step = ""
    if kind not in ("", *RESOURCE_KINDS):
        problems.append(f"There is no kind of resource called “{kind[:40]}”: showing every kind.")
        kind = ""
    return step, kind, problems


def catalogue_title(step: str, kind: str) -> str:
    """'Step 1 question banks', 'Question banks', 'Step 1 resources', 'Resources'."""
    what = KIND_PLURALS[kind] if kind else "resources"
    return f"{exam.STEPS[step].label} {what}" if step else what[0].upper() + what[1:]


@bp.route("")
@cached_page(params=("step", "kind"), members=True)
def index():
    step, kind, problems = catalogue_filter(request.args)
    resources = [r for r in catalogue.all_resources()
                 if (not step or step in r.step_codes) and (not kind or r.kind == kind)]
    by_kind: dict[str, list[Resource]] = {}
    for resource in sorted(resources, key=lambda r: (-r.story_count, r.name)):
        by_kind.setdefault(resource.kind, []).append(resource)
    page = render_template("resources/index.html", by_kind=by_kind, kinds=RESOURCE_KINDS, steps=exam.STEPS,
                           step=step, kind=kind, problems=problems, title=catalogue_title(step, kind),
                           ratings=ratings.for_resources([r.id for r in resources]))
    return page, 400 if problems else 200


def also_called(resource: Resource) -> list[str]:
    """The other names writers may type for it (stored as match keys: lower case, no spaces), without the ones
    that only repeat its name or address."""
    own = {alias_key(resource.name), alias_key(resource.slug)}
    return sorted(a.alias_key for a in resource.aliases if a.alias_key not in own)


@bp.route("/<slug>")
@cached_page(params=listing.PARAMS, members=True)
def show(slug: str):
    resource = loaders.resource_or_404(slug)
    filters = listing.Filters.from_args(request.args, resources=[resource.slug])
    page = listing.list_stories(filters)
    return render_template("resources/show.html", resource=resource, page=page, filters=filters, steps=exam.STEPS,
                           facts=resource_facts.describe(resource), also_called=also_called(resource),
                           ratings=ratings.for_resources([resource.id])[resource.id],
                           insights=panels.resource_panel(resource.slug, resource.step_codes))
