from flask import Blueprint

bp = Blueprint("hubs", __name__)

from . import routes  # noqa: E402,F401
