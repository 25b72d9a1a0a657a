from flask import Blueprint

bp = Blueprint("stories", __name__)

from . import routes, search_page  # noqa: E402,F401
