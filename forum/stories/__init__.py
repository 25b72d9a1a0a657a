from flask import Blueprint

bp = Blueprint("stories", __name__)

from . import routes  # noqa: E402,F401
