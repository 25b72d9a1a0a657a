"""Curating hubs: feature a story, move or unfeature a card, edit a hub's intro.

The blueprint's guard has already refused everyone but moderators. Each view validates, calls forum.curation
(which writes the moderation log), commits once and redirects to the hub, at the card it changed.
"""
from datetime import date, datetime, time, timedelta

from flask import abort, flash, redirect, render_template
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from .. import curation, loaders
from ..extensions import db
from ..urls import hub_url
from . import bp
from .forms import FeatureForm, HubIntroForm, MoveForm, UnfeatureForm


def end_of(day: date | None) -> datetime | None:
    """A card "shown until" a day is shown through that whole day (UTC) and gone at the next midnight."""
    return datetime.combine(day + timedelta(days=1), time.min) if day else None


@bp.route("/feature/<int:story_id>", methods=["GET", "POST"])
def feature_story(story_id: int):
    story = loaders.story_or_404(story_id)
    form = FeatureForm()
    form.headline.description = f"Leave empty to use the story's title: “{story.title}”."
    form.teaser.description = f"Leave empty to use the story's opening: “{curation.default_teaser(story)}”"
    if form.validate_on_submit():
        if not story.is_published:
            form.form_errors.append(f"This story is {story.status}: only published stories can be featured.")
        else:
            curation.ensure_hubs()
            hub = curation.get_hub(form.hub.data)
            try:
                card = curation.feature(hub=hub, story=story, actor=current_user, headline=form.headline.data,
                                        teaser=form.teaser.data, expires_at=end_of(form.expires_on.data),
                                        reason=form.reason.data or "")
                db.session.commit()
            except IntegrityError:  # the same story featured on the same hub by a request a moment earlier
                db.session.rollback()
                flash("It was featured on that hub a moment ago; here it is.", "info")
                return redirect(hub_url(form.hub.data) + "#featured")
            flash(f"Featured on {curation.hub_name(hub.slug)}.", "success")
            return redirect(hub_url(hub.slug) + f"#feature-{card.id}")
    return render_template("mod/feature.html", form=form, story=story, current=curation.features_of_story(story),
                           hub_name=curation.hub_name), 400 if form.errors else 200


@bp.route("/features/<int:feature_id>/move", methods=["POST"])
def move_feature(feature_id: int):
    card = loaders.feature_or_404(feature_id)
    form = MoveForm()
    if not form.validate():
        abort(400)
    back = hub_url(card.hub.slug) + f"#feature-{card.id}"
    if curation.move(card, form.direction.data, actor=current_user):
        db.session.commit()
    else:
        flash(f"“{card.headline}” is already {'first' if form.direction.data == 'up' else 'last'}.", "info")
    return redirect(back)


@bp.route("/features/<int:feature_id>/unfeature", methods=["POST"])
def unfeature(feature_id: int):
    card = loaders.feature_or_404(feature_id)
    form = UnfeatureForm()
    if not form.validate():
        abort(400)
    slug, headline = card.hub.slug, card.headline
    curation.unfeature(card, actor=current_user, reason=form.reason.data or "")
    db.session.commit()
    flash(f"“{headline}” is no longer featured on {curation.hub_name(slug)}.", "success")
    return redirect(hub_url(slug) + "#featured")


@bp.route("/hubs/<slug>/edit", methods=["GET", "POST"])
def edit_hub(slug: str):
    hub = curation.hub_for_page(loaders.hub_slug_or_404(slug))
    form = HubIntroForm(data={"intro": hub.intro})
    if form.validate_on_submit():
        curation.edit_intro(slug, form.intro.data or "", actor=current_user, reason=form.reason.data or "")
        db.session.commit()
        flash("The intro is saved.", "success")
        return redirect(hub_url(slug))
    return render_template("mod/hub_edit.html", form=form, hub=hub, hub_name=curation.hub_name(slug),
                           hub_page=hub_url(slug)), 400 if form.errors else 200
