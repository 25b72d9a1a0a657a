"""Atom feeds under /feeds, and the sitemap at the site root (a second blueprint, because it has no prefix)."""
from flask import Blueprint

bp = Blueprint("feeds", __name__, url_prefix="/feeds")

from .routes import sitemap_bp  # noqa: E402,F401  (the module registers its feed routes on bp)
