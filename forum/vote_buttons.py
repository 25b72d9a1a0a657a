"""The HTTP side of the upvote button (templates/_macros/vote.html), shared by the story and the comment vote
views: read the press, refuse it in the form the page asked for, answer it. The counting is forum/votes.py.

site.js sends the press with `Accept: application/json` and gets JSON; without JavaScript the button is a plain
form and gets a redirect back, or an error page.
"""
from flask import abort, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from . import permissions
from .posting_limits import answer_later, vote_limit_exceeded
from .security import safe_next_url


def wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def wants_up() -> bool:
    """value=1 casts the vote (or the bookmark), value=0 takes it back; anything else is a 400."""
    value = request.form.get("value", "")
    if value not in ("0", "1"):
        abort(400)
    return value == "1"


def refuse(status: int, message: str):
    if wants_json():
        return jsonify(error=message), status
    abort(status)


def refusal(item):
    """Why the current user may not vote on item now, as a response; None when they may."""
    if not current_user.is_authenticated:
        if wants_json():
            return refuse(401, "Sign in to vote.")
        return redirect(url_for("auth.login", next=safe_next_url(request.form.get("next")) or "/"))
    if not permissions.can_vote(current_user, item):
        return refuse(403, "You cannot vote on this.")
    retry_after = vote_limit_exceeded(current_user)
    if retry_after:
        if wants_json():
            return answer_later(refuse(429, "Too many votes; wait a moment."), retry_after)
        return answer_later((render_template("errors/error.html", code=429, title="Slow down",
                                             message="Too many votes in a short time. Wait a moment and try again."),
                             429), retry_after)
    return None


def answer(*, count: int, voted: bool, fallback: str):
    """JSON for the page's script, a redirect back for a plain form."""
    if wants_json():
        return jsonify(votes=count, voted=voted)
    return redirect(safe_next_url(request.form.get("next")) or fallback)
