"""The read-only JSON API under /api/v1, described by the OpenAPI document at /api/v1/openapi.json."""
from flask import Blueprint, current_app

from ..extensions import limiter

bp = Blueprint("api", __name__, url_prefix="/api/v1")

DEFAULT_RATE_LIMIT = "300 per minute"  # a script paging through every story at a steady pace stays under it
# One budget per client across the whole API (a plain blueprint limit counts each route apart). Read per request,
# so a deployment (or a test) can change it through API_RATE_LIMIT without a new process.
limiter.shared_limit(lambda: current_app.config.get("API_RATE_LIMIT", DEFAULT_RATE_LIMIT), scope="api")(bp)

from . import insights, routes  # noqa: E402,F401
from .docs import docs_bp  # noqa: E402,F401  (the reference page at /api/docs, outside /api/v1)
