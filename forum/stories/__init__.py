from flask import Blueprint

bp = Blueprint("stories", __name__)

from . import journey_routes, routes, search_page, verify  # noqa: E402,F401
