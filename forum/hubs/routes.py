"""The front page and the step hubs."""
from flask import abort, render_template, request

from .. import exam
from ..stories import listing
from . import bp


@bp.route("/")
def home():
    filters = listing.Filters.from_args(request.args)
    page = listing.list_stories(filters, page_size=15)
    return render_template("hubs/home.html", page=page, filters=filters, steps=exam.STEPS)


@bp.route("/steps/<slug>")
def step(slug: str):
    step = exam.step_for_slug(slug)
    if step is None:
        abort(404)
    filters = listing.Filters.from_args(request.args, step=step.code)
    page = listing.list_stories(filters)
    return render_template("hubs/step.html", step=step, page=page, filters=filters, steps=exam.STEPS)
