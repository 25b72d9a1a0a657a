"""/insights and /predict: what the stories say, drawn on the server; every count shown, each rate with n and CI."""
from flask import Blueprint

bp = Blueprint("insights", __name__)

from . import predict_routes, routes  # noqa: E402,F401
