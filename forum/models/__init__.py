"""The data model, one module per area; import names from here."""
from .accounts import (
    BACKGROUNDS,
    PERMANENT_BAN_UNTIL,
    RESET_TOKEN_LIFETIME,
    ROLES,
    ModAction,
    PasswordResetToken,
    User,
    username_key,
    utcnow,
)
from .stories import (
    RESOURCE_KINDS,
    STORY_STATUSES,
    PracticeScore,
    Resource,
    ResourceAlias,
    ResourceSuggestion,
    Revision,
    Story,
    StoryResource,
    alias_key,
)

__all__ = [
    "BACKGROUNDS", "PERMANENT_BAN_UNTIL", "RESET_TOKEN_LIFETIME", "ROLES", "ModAction", "PasswordResetToken", "User",
    "username_key", "utcnow", "RESOURCE_KINDS", "STORY_STATUSES", "PracticeScore", "Resource", "ResourceAlias",
    "ResourceSuggestion", "Revision", "Story", "StoryResource", "alias_key",
]
