"""/insights: what the stories say, as charts drawn on the server, with the small-group rule applied throughout."""
from flask import Blueprint

bp = Blueprint("insights", __name__)

from . import routes  # noqa: E402,F401
