"""The resource catalogue's public pages; moderators edit it under /mod (forum/mod/catalogue.py)."""
from flask import redirect, render_template, request, url_for

from .. import catalogue, exam, loaders, resource_facts
from ..caching import cached_page
from ..insights import panels
from ..models import RESOURCE_KINDS, Resource
from ..stories import listing
from . import bp

# Editing the catalogue moved behind the moderators' door (forum/mod/catalogue.py). The old addresses answer
# 308 with the query string kept: 308 keeps a POST a POST with its body, so bookmarks and scripts keep working.
MOVED = {"/new": "mod.add_resource", "/suggestions": "mod.resource_suggestions",
         "/<slug>/edit": "mod.edit_resource", "/<slug>/merge": "mod.merge_resource"}


def moved(**view_args):
    target = MOVED[request.url_rule.rule.removeprefix(bp.url_prefix)]
    return redirect(url_for(target, **view_args, **request.args.to_dict(flat=False)), 308)


for _old, _target in MOVED.items():
    bp.add_url_rule(_old, endpoint=f"moved_{_target.removeprefix('mod.')}", view_func=moved, methods=["GET", "POST"])


@bp.route("")
@cached_page(members=True)
def index():
    resources = catalogue.all_resources()
    by_kind: dict[str, list[Resource]] = {}
    for resource in sorted(resources, key=lambda r: (-r.story_count, r.name)):
        by_kind.setdefault(resource.kind, []).append(resource)
    return render_template("resources/index.html", by_kind=by_kind, kinds=RESOURCE_KINDS, steps=exam.STEPS)


@bp.route("/<slug>")
@cached_page(params=listing.PARAMS, members=True)
def show(slug: str):
    resource = loaders.resource_or_404(slug)
    filters = listing.Filters.from_args(request.args, resources=[resource.slug])
    page = listing.list_stories(filters)
    return render_template("resources/show.html", resource=resource, page=page, filters=filters, steps=exam.STEPS,
                           facts=resource_facts.describe(resource),
                           insights=panels.resource_panel(resource.slug, resource.step_codes))
