"""The data model, one module per area; import names from here."""
from .accounts import (
    BACKGROUNDS,
    PERMANENT_BAN_UNTIL,
    RESET_TOKEN_LIFETIME,
    ROLES,
    TOKEN_PURPOSES,
    USERNAME_PATTERN,
    LoginSession,
    PasswordResetToken,
    User,
    username_fold,
    username_key,
    utcnow,
)
from .curation import Feature, Hub
from .following import EMAIL_MODES, FOLLOW_KINDS, Follow, MailPreference
from .moderation import REPORT_REASONS, ModAction, Report
from .site import CacheVersion
from .stories import (
    RESOURCE_KINDS,
    STORY_STATUSES,
    Journey,
    PracticeScore,
    Resource,
    ResourceAlias,
    ResourceScale,
    ResourceSuggestion,
    Revision,
    ScoreReport,
    Story,
    StoryResource,
    alias_key,
)
from .threads import (
    MAX_DEPTH,
    MAX_STORED_DEPTH,
    NOTIFICATION_KINDS,
    Comment,
    CommentVote,
    Notification,
    SavedStory,
    StoryVote,
    path_segment,
)

__all__ = [
    "LoginSession", "TOKEN_PURPOSES", "username_fold",
    "BACKGROUNDS", "PERMANENT_BAN_UNTIL", "RESET_TOKEN_LIFETIME", "ROLES", "USERNAME_PATTERN",
    "ModAction", "PasswordResetToken", "User",
    "username_key", "utcnow", "RESOURCE_KINDS", "STORY_STATUSES", "PracticeScore", "Resource", "ResourceAlias",
    "ResourceSuggestion", "Revision", "Story",
    "Journey", "ResourceScale", "ScoreReport", "StoryResource", "alias_key", "MAX_DEPTH", "MAX_STORED_DEPTH",
    "NOTIFICATION_KINDS",
    "Comment", "CommentVote", "Notification", "SavedStory", "StoryVote", "path_segment", "REPORT_REASONS", "Feature",
    "Hub", "Report", "CacheVersion", "EMAIL_MODES", "FOLLOW_KINDS", "Follow", "MailPreference",
]
