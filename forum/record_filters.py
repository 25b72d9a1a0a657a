"""Filters on what is known about a record: a moderator verified its outcome, or it belongs to a retake journey.

One definition for the listings, search and the API, so "verified" means the same on every page.
"""
import sqlalchemy as sa

from .models import Story

JOURNEYS = {"failed-then-passed": "Failed, then passed"}  # the journey filters and their labels


def verified_only() -> sa.ColumnElement[bool]:
    """Stories whose outcome a moderator checked against the author's score report (forum.verification)."""
    return Story.verified_at.is_not(None)


def journey_clause(journey: str) -> sa.ColumnElement[bool]:
    """Stories in a retake journey of the kind named, a key of JOURNEYS (forum.journeys)."""
    from . import journeys  # journeys loads caching and permissions; listings need only this clause

    return {"failed-then-passed": journeys.failed_then_passed_clause}[journey]()
