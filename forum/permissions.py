"""Named predicates for who may do what. Views and templates ask these; nothing else decides."""
from .models import User


def is_signed_in(user) -> bool:
    return bool(user) and user.is_authenticated


def can_post(user) -> bool:
    """Write stories and comments, vote, report: any signed-in member who is not banned."""
    return is_signed_in(user) and not user.is_banned


def can_moderate(user) -> bool:
    return is_signed_in(user) and user.is_moderator


def can_change_roles(user) -> bool:
    return is_signed_in(user) and user.is_admin


def can_see_email(viewer, profile: User) -> bool:
    return is_signed_in(viewer) and (viewer.id == profile.id or viewer.is_admin)
