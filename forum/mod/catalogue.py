"""Editing the resource catalogue: add, edit, merge, and the names writers typed that it lacks.

These pages are under /mod, so the blueprint's one guard has refused everyone but moderators before a view runs;
forum.catalogue writes each change and its line of the moderation log. The old addresses under /resources
redirect here (forum/resources/routes.py).
"""
from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from .. import catalogue, loaders, urls
from ..extensions import db
from ..models import Resource
from ..resources.forms import MergeForm, ResourceForm
from . import bp

SLUG_TAKEN = "Another resource uses this address."


@bp.route("/resources/suggestions")
def resource_suggestions():
    """Names writers typed that the catalogue does not know yet: add them, or merge them into what exists."""
    form = MergeForm()
    form.target.choices = target_choices()
    return render_template("resources/suggestions.html", suggestions=catalogue.open_suggestions(), form=form)


def target_choices(but: Resource | None = None) -> list[SelectChoice]:
    return [SelectChoice("", "Choose…")] + [
        SelectChoice(str(r.id), r.name) for r in catalogue.all_resources() if but is None or r.id != but.id]


@bp.route("/resources/suggestions/<int:suggestion_id>/merge", methods=["POST"])
def merge_suggestion(suggestion_id: int):
    """A typed name is another name for a resource we have: every story that typed it links that resource."""
    suggestion = loaders.suggestion_or_404(suggestion_id)
    form = MergeForm()
    form.target.choices = target_choices()
    if not form.validate_on_submit():
        flash(" ".join(e for errors in form.errors.values() for e in errors), "error")
        return redirect(url_for("mod.resource_suggestions")), 303
    target = db.session.get(Resource, int(form.target.data))
    moved = catalogue.assign_suggestion(suggestion, target=target, actor=current_user, reason=form.reason.data)
    db.session.commit()
    flash(f"“{suggestion.name}” is now a name of {target.name}; {moved} stor{'y' if moved == 1 else 'ies'} "
          "link it.", "success")
    return redirect(url_for("mod.resource_suggestions"))


@bp.route("/resources/new", methods=["GET", "POST"])
def add_resource():
    # From the suggestions list: the typed name, ready to correct (the name becomes an alias either way).
    form = ResourceForm(data={"name": request.args.get("name", "")[:120]} if request.method == "GET" else None)
    if form.validate_on_submit():
        if catalogue.slug_taken(form.slug.data):
            form.slug.errors.append(SLUG_TAKEN)
        else:
            resource = catalogue.save_resource(None, actor=current_user, **form.values())
            db.session.commit()
            flash(f"{resource.name} is in the catalogue.", "success")
            return redirect(urls.resource_url(resource))
    return render_template("resources/form.html", form=form, resource=None), 400 if form.errors else 200


@bp.route("/resources/<slug>/edit", methods=["GET", "POST"])
def edit_resource(slug: str):
    resource = loaders.resource_or_404(slug)
    # Explicit data, not obj=: WTForms prefers obj's attributes to keywords, and a None scale is not a choice.
    form = ResourceForm(data={"name": resource.name, "slug": resource.slug, "kind": resource.kind,
                              "steps": resource.step_codes, "scale": resource.scale or "",
                              "description": resource.description,
                              "aliases": ", ".join(a.alias_key for a in resource.aliases)})
    if form.validate_on_submit():
        if catalogue.slug_taken(form.slug.data, other_than=resource):
            form.slug.errors.append(SLUG_TAKEN)
        else:
            catalogue.save_resource(resource, actor=current_user, **form.values())
            db.session.commit()
            flash("Saved.", "success")
            return redirect(urls.resource_url(resource))
    return render_template("resources/form.html", form=form, resource=resource), 400 if form.errors else 200


@bp.route("/resources/<slug>/merge", methods=["GET", "POST"])
def merge_resource(slug: str):
    source = loaders.resource_or_404(slug)
    form = MergeForm()
    form.target.choices = target_choices(but=source)
    if form.validate_on_submit():
        target = db.session.get(Resource, int(form.target.data))
        catalogue.merge(source=source, target=target, actor=current_user, reason=form.reason.data)
        db.session.commit()
        flash(f"Merged into {target.name}; every story link moved.", "success")
        return redirect(urls.resource_url(target))
    return render_template("resources/merge.html", form=form, resource=source), 400 if form.errors else 200
