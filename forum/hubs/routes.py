"""The front page and the step hubs: the hub's intro, its featured cards in moderator order, then the listing."""
from flask import render_template, request

from .. import curation, demo, exam, loaders
from ..caching import cached_page
from ..insights import panels
from ..models import utcnow
from ..stories import listing
from . import bp
from .intro import split_intro


@bp.route("/")
@cached_page(params=listing.PARAMS, members=True)
def home():
    hub = curation.hub_for_page(curation.HOME)
    features = curation.featured(curation.HOME, utcnow())
    filters = listing.Filters.from_args(request.args)
    page = listing.list_stories(filters, page_size=15)
    return render_template("hubs/home.html", hub=hub, intro=split_intro(hub.intro_html), features=features,
                           page=page, filters=filters, steps=exam.STEPS, demo=demo.holds_demo_content())


@bp.route("/steps/<slug>")
@cached_page(params=listing.PARAMS, members=True)
def step(slug: str):
    step = loaders.step_or_404(slug)
    hub = curation.hub_for_page(step.code)
    features = curation.featured(step.code, utcnow())
    filters = listing.Filters.from_args(request.args, step=step.code)
    page = listing.list_stories(filters)
    return render_template("hubs/step.html", hub=hub, intro=split_intro(hub.intro_html), features=features,
                           step=step, page=page, filters=filters, steps=exam.STEPS,
                           insights=panels.step_panel(step.code))
