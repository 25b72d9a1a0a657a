"""Error pages in the site's look, for every status a visitor can meet."""
import logging

import sqlalchemy as sa
from flask import Flask, g, jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

MESSAGES = {
    400: ("Bad request", "The request could not be understood. Go back and try again."),
    403: ("Not allowed", "You do not have permission to do that."),
    404: ("Page not found", "There is no page at this address. It may have been moved or deleted."),
    405: ("Method not allowed", "This address does not accept that kind of request."),
    409: ("Not possible now", "That cannot be done to this item as it stands."),
    # The one large thing anyone sends is a score report (forum/verification.py); a story is far smaller.
    413: ("Too large", "What you sent is larger than this site accepts: a score report may be at most 5 MB. Go back "
                       "and choose a smaller file (the report's PDF, or a screenshot of it)."),
    429: ("Slow down", "Too many requests in a short time. Wait a little and try again."),
    500: ("Something went wrong", "An error on our side stopped this page. It has been logged; please try again."),
    503: ("Unavailable", "The site is briefly unavailable. Please try again in a minute."),
}
# What the database driver raises when the server is down, restarting or unreachable (or, on SQLite, when the file
# cannot be opened or stays locked): the site is unavailable for a while, not broken.
DATABASE_OUTAGE = (sa.exc.OperationalError, sa.exc.InterfaceError, sa.exc.DisconnectionError)
OUTAGE_RETRY_AFTER_SECONDS = 30  # a database restart or failover takes seconds to a minute
log = logging.getLogger(__name__)


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error):
        # A form view that keeps what was typed gets the request back: its own form fails validation on the
        # token, shows everything typed with a fresh token, and asks for one more press. Nothing is saved.
        # Never re-dispatch past a blueprint guard: calling the view directly would skip the blueprint's
        # before_request checks (the /mod door, for one), so such views get the plain 400 instead.
        # The view runs inside this handler, where Flask no longer turns what it raises into an error page: its
        # own refusals (an abort's 403 or 404, a rate limit's 429) are handed to the error handlers here, so they
        # keep their status instead of becoming a 500.
        view = app.view_functions.get(request.endpoint or "")
        guarded = bool(app.before_request_funcs.get(request.blueprint))
        if view is not None and getattr(view, "keeps_input_on_csrf_failure", False) and not guarded:
            g.csrf_failed = True
            try:
                response = make_response(view(**(request.view_args or {})))
            except Exception as raised:  # answered exactly as if the view had raised it directly
                return app.handle_user_exception(raised)
            if response.status_code == 200:
                response.status_code = 400
            return response
        return render_error(400, "Your form expired. Go back, reload the page and send it again.")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        response = make_response(render_error(error.code or 500))
        for name, value in error.get_headers():  # Allow on a 405, Retry-After on a 429/503
            if name.lower() != "content-type":
                response.headers[name] = value
        return response

    for error_class in DATABASE_OUTAGE:
        app.register_error_handler(error_class, database_unavailable)

    @app.errorhandler(Exception)
    def unhandled_error(error: Exception):
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        return render_error(500)


def database_unavailable(error: Exception):
    """A 503 with Retry-After, as JSON under /api/ and as a page elsewhere, rendered without the database.

    The session is rolled back (Flask-SQLAlchemy removes it when the request ends) and pool_pre_ping replaces dead
    connections, so the first request after the database returns succeeds with no restart. The page is drawn for a
    signed-out visitor: the signed-in user's row cannot be read, and its expired attributes would query again."""
    from flask_login import AnonymousUserMixin

    from .extensions import db

    reason = getattr(error, "orig", None) or error
    log.error("database unavailable on %s %s: %s", request.method, request.path,
              (str(reason).strip().splitlines() or [type(reason).__name__])[0])  # never the SQL or its parameters
    try:
        db.session.rollback()
    except sa.exc.SQLAlchemyError:
        pass  # the connection is already gone; removing the session at teardown discards it
    g._login_user = AnonymousUserMixin()  # Flask-Login's cache of current_user
    if request.path.startswith("/api/"):
        response = jsonify(error="The database is briefly unavailable; try again shortly.", status=503)
        response.status_code = 503
    else:
        response = make_response(render_error(503))
    response.headers["Retry-After"] = str(OUTAGE_RETRY_AFTER_SECONDS)
    return response


def render_error(code: int, message: str | None = None):
    title, default_message = MESSAGES.get(code, ("Error", "Something went wrong."))
    return render_template("errors/error.html", code=code, title=title, message=message or default_message), code


def keeps_input_on_csrf_failure(view):
    """Mark a form view whose FlaskForm re-renders everything typed when only the CSRF token was stale."""
    view.keeps_input_on_csrf_failure = True
    return view
