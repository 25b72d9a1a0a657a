"""Step Stories: first-hand USMLE prep stories. create_app reads as the table of contents of the app."""
import logging
from pathlib import Path

from flask import Flask, Response
from werkzeug.exceptions import SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix

from . import config as config_module


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(config_module.from_environment(app.instance_path))
    if config:
        app.config.from_mapping(config)
    check_production_settings(app)
    configure_logging(app)
    register_extensions(app)
    register_blueprints(app)
    register_error_handlers(app)
    register_unknown_host_answer(app)
    register_security(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def check_production_settings(app: Flask) -> None:
    if app.config["FORUM_ENV"] != "production":
        return
    if app.debug:
        raise config_module.ConfigError("FORUM_ENV=production refuses to run with debug on: it exposes a console.")
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        logging.getLogger(__name__).warning(
            "FORUM_ENV=production on SQLite: fine for one host (any number of gunicorn workers share the file), "
            "but several hosts cannot share a SQLite file; set DATABASE_URL to PostgreSQL before adding a host.")


def configure_logging(app: Flask) -> None:
    from . import logs

    logs.configure(app)


def register_extensions(app: Flask) -> None:
    from . import caching, jobs
    from .auth.routes import init_login_manager
    from .database import SQLITE_BUSY_TIMEOUT_MS, configure_engine, engine_options
    from .extensions import csrf, db, limiter, login_manager, migrate

    if app.config["PROXY_HOPS"]:
        hops = app.config["PROXY_HOPS"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options(app.config)
    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine, busy_timeout_ms=app.config.get("SQLITE_BUSY_TIMEOUT_MS", SQLITE_BUSY_TIMEOUT_MS))
    # Batch mode lets the same migrations ALTER tables on SQLite, which rebuilds a table to change it.
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"), render_as_batch=True,
                     compare_type=True)
    csrf.init_app(app)
    limiter.init_app(app)
    caching.init_app(app)
    app.after_request(caching.mark_writer)
    jobs.init_app(app)
    login_manager.init_app(app)
    init_login_manager(login_manager)


def register_blueprints(app: Flask) -> None:
    from . import auth, comments, health, hubs, insights, mod, resources, stories, users
    from .api import bp as api_bp
    from .api import docs_bp as api_docs_bp
    from .feeds import bp as feeds_bp
    from .feeds import sitemap_bp
    from .mod.public import public_bp

    for module in (auth, comments, health, hubs, insights, mod, resources, stories, users):
        app.register_blueprint(module.bp)
    app.register_blueprint(public_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(api_docs_bp)
    app.register_blueprint(feeds_bp)
    app.register_blueprint(sitemap_bp)
    from .following import bp as following_bp
    app.register_blueprint(following_bp)


def register_error_handlers(app: Flask) -> None:
    from .errors import register_error_handlers as register

    register(app)


def register_unknown_host_answer(app: Flask) -> None:
    """Production answers only its own Host names (TRUSTED_HOSTS, from FORUM_BASE_URL). Flask refuses any other
    before it can build a URL, so the error page (which links with url_for) cannot be drawn: a plain 400 instead."""

    @app.errorhandler(SecurityError)
    def unknown_host(_error):
        return Response("Unknown host.\n", status=400, mimetype="text/plain")


def register_security(app: Flask) -> None:
    from .security import register_security_headers

    register_security_headers(app)


def register_template_helpers(app: Flask) -> None:
    from . import caching, following, labels, notifications, permissions, personal, urls

    personal.register()
    app.jinja_env.globals.update(
        hole=caching.hole,
        follow_button=following.follow_button,
        unread_count=notifications.unread_count,
        reader_id=caching.reader_id,
        can_post=permissions.can_post,
        can_moderate=permissions.can_moderate,
        can_see_email=permissions.can_see_email,
        can_edit_story=permissions.can_edit_story,
        can_delete_story=permissions.can_delete_story,
        can_edit_resources=permissions.can_edit_resources,
        can_comment=permissions.can_comment,
        can_report=permissions.can_report,
        can_vote=permissions.can_vote,
        can_edit_comment=permissions.can_edit_comment,
        can_delete_comment=permissions.can_delete_comment,
    )
    app.jinja_env.globals.update(urls.TEMPLATE_GLOBALS)
    app.jinja_env.globals.update(labels.GLOBALS)
    app.jinja_env.filters.update(labels.FILTERS)


def register_commands(app: Flask) -> None:
    from .cli import register

    register(app)
