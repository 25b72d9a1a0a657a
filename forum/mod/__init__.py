"""Moderators' tools. Every route under /mod passes one guard, on the blueprint; modules add routes to bp."""
from flask import Blueprint, abort
from flask_login import current_user

from .. import permissions

bp = Blueprint("mod", __name__, url_prefix="/mod")


@bp.before_request
def require_moderator():
    """The one door to /mod: anonymous visitors, members and banned moderators are refused here, before any view."""
    if not permissions.can_moderate(current_user):
        abort(403)


# each module registers its routes on bp
from . import bans, catalogue, curation, reports, revisions, users, verifications  # noqa: E402,F401
