"""The resource catalogue: public pages, and moderators' add, edit and merge."""
import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from .. import catalogue, exam, moderation, permissions
from ..caching import cached_for_anonymous
from ..extensions import db
from ..insights import panels
from ..models import RESOURCE_KINDS, Resource
from ..stories import listing
from . import bp
from .forms import MergeForm, ResourceForm


def get_resource_or_404(slug: str) -> Resource:
    resource = db.session.scalar(sa.select(Resource).where(Resource.slug == slug))
    if resource is None:
        abort(404)
    return resource


def require_catalogue_editor() -> None:
    if not permissions.can_edit_resources(current_user):
        abort(403)


@bp.route("")
@cached_for_anonymous
def index():
    resources = catalogue.all_resources()
    by_kind: dict[str, list[Resource]] = {}
    for resource in sorted(resources, key=lambda r: (-r.story_count, r.name)):
        by_kind.setdefault(resource.kind, []).append(resource)
    return render_template("resources/index.html", by_kind=by_kind, kinds=RESOURCE_KINDS, steps=exam.STEPS)


@bp.route("/suggestions")
def suggestions():
    """Names writers typed that the catalogue does not know yet: add them, or merge them into what exists."""
    require_catalogue_editor()
    return render_template("resources/suggestions.html", suggestions=catalogue.open_suggestions())


@bp.route("/<slug>")
@cached_for_anonymous
def show(slug: str):
    resource = get_resource_or_404(slug)
    filters = listing.Filters.from_args(request.args, resources=[resource.slug])
    page = listing.list_stories(filters)
    return render_template("resources/show.html", resource=resource, page=page, filters=filters, steps=exam.STEPS,
                           insights=panels.resource_panel(resource.slug, resource.step_codes))


@bp.route("/new", methods=["GET", "POST"])
def create():
    require_catalogue_editor()
    form = ResourceForm()
    if form.validate_on_submit():
        if db.session.scalar(sa.select(Resource.id).where(Resource.slug == form.slug.data)):
            form.slug.errors.append("Another resource uses this address.")
        else:
            resource = Resource(slug=form.slug.data)
            apply_form(resource, form)
            db.session.add(resource)
            db.session.flush()
            moderation.record(actor=current_user, action="add_resource", target_type="resource",
                              target_id=resource.id, target_label=resource.name)
            db.session.commit()
            flash(f"{resource.name} is in the catalogue.", "success")
            return redirect(url_for("resources.show", slug=resource.slug))
    return render_template("resources/form.html", form=form, resource=None), 400 if form.errors else 200


@bp.route("/<slug>/edit", methods=["GET", "POST"])
def edit(slug: str):
    require_catalogue_editor()
    resource = get_resource_or_404(slug)
    # Explicit data, not obj=: WTForms prefers obj's attributes to keywords, and a None scale is not a choice.
    form = ResourceForm(data={"name": resource.name, "slug": resource.slug, "kind": resource.kind,
                              "steps": resource.step_codes, "scale": resource.scale or "",
                              "description": resource.description,
                              "aliases": ", ".join(a.alias_key for a in resource.aliases)})
    if form.validate_on_submit():
        clash = db.session.scalar(sa.select(Resource.id).where(Resource.slug == form.slug.data,
                                                               Resource.id != resource.id))
        if clash:
            form.slug.errors.append("Another resource uses this address.")
        else:
            resource.slug = form.slug.data
            apply_form(resource, form)
            moderation.record(actor=current_user, action="edit_resource", target_type="resource",
                              target_id=resource.id, target_label=resource.name)
            db.session.commit()
            flash("Saved.", "success")
            return redirect(url_for("resources.show", slug=resource.slug))
    return render_template("resources/form.html", form=form, resource=resource), 400 if form.errors else 200


def apply_form(resource: Resource, form: ResourceForm) -> None:
    resource.name = form.name.data
    resource.kind = form.kind.data
    resource.steps = " ".join(form.steps.data or [])
    resource.scale = form.scale.data or None
    resource.description = form.description.data or ""
    catalogue.add_aliases(resource, [form.name.data, form.slug.data, *form.alias_list()])


@bp.route("/<slug>/merge", methods=["GET", "POST"])
def merge(slug: str):
    require_catalogue_editor()
    source = get_resource_or_404(slug)
    form = MergeForm()
    form.target.choices = [SelectChoice("", "Choose…")] + [
        SelectChoice(str(r.id), r.name) for r in catalogue.all_resources() if r.id != source.id]
    if form.validate_on_submit():
        target = db.session.get(Resource, int(form.target.data))
        catalogue.merge(source=source, target=target, actor=current_user, reason=form.reason.data)
        db.session.commit()
        flash(f"Merged into {target.name}; every story link moved.", "success")
        return redirect(url_for("resources.show", slug=target.slug))
    return render_template("resources/merge.html", form=form, resource=source), 400 if form.errors else 200
