"""Named predicates for who may do what. Views and templates ask these; nothing else decides."""
from .models import User


def is_signed_in(user) -> bool:
    return bool(user) and user.is_authenticated


def can_post(user) -> bool:
    """Write stories and comments, vote, report: any signed-in member who is not banned."""
    return is_signed_in(user) and not user.is_banned


def can_edit_profile(user) -> bool:
    """Change what the profile shows (bio, background): a ban keeps a member from publishing there as elsewhere."""
    return can_post(user)


def can_moderate(user) -> bool:
    """Moderators and admins who are not banned: a ban ends every moderator power, here and in every template."""
    return can_post(user) and user.is_moderator


def can_change_roles(user) -> bool:
    return can_post(user) and user.is_admin


def can_edit_story(user, story) -> bool:
    """The author while the story stands; moderators always (their edits are logged)."""
    if not can_post(user):
        return False
    return user.is_moderator or (story.author_id == user.id and story.status == "published")


def can_delete_story(user, story) -> bool:
    return can_post(user) and story.author_id == user.id and story.status == "published"


def can_see_story(user, story) -> bool:
    """Published stories are public; deleted and removed ones only to moderators (the author sees the notice)."""
    return story.status == "published" or can_moderate(user)


def can_comment(user, story) -> bool:
    """Members who are not banned, on a published story that is not locked."""
    return can_post(user) and story.status == "published" and not story.locked


def can_vote(user, item) -> bool:
    """Not banned, and not on your own story or comment."""
    return can_post(user) and item.author_id != user.id and item.status == "published"


def can_edit_comment(user, comment) -> bool:
    """The author while the comment and its story stand and the story is open (a lock freezes the thread, as on
    Discourse); moderators always (their edits are logged)."""
    if not can_post(user):
        return False
    return user.is_moderator or (comment.author_id == user.id and comment.status == "published"
                                 and comment.story.status == "published" and not comment.story.locked)


def can_see_comment_history(user, comment) -> bool:
    """A comment's earlier versions go to whoever may read the comment: once its author deleted it or a moderator
    removed it, its text is gone from the thread, and so is its history, except for moderators."""
    return can_moderate(user) or (comment.status == "published" and comment.story.status == "published")


def can_delete_comment(user, comment) -> bool:
    return can_post(user) and comment.author_id == user.id and comment.status == "published"


def can_report(user, item) -> bool:
    """Any member who is not banned, on someone else's published story or comment."""
    return can_post(user) and item.author_id != user.id and item.status == "published"


def can_remove(user, item) -> bool:
    """Moderators take down what stands; what its author deleted is already gone."""
    return can_moderate(user) and item.status == "published"


def can_restore(user, item) -> bool:
    """Moderators bring back only what a moderator removed: an author's deletion stands."""
    return can_moderate(user) and item.status == "removed"


def can_lock(user, story) -> bool:
    """Moderators close a standing story's thread to new comments; a locked one has nothing to lock."""
    return can_moderate(user) and story.status == "published" and not story.locked


def can_unlock(user, story) -> bool:
    return can_moderate(user) and story.locked


def can_ban(user, member: User) -> bool:
    """Moderators ban members; only an admin bans a moderator. Nobody bans an admin (the console can, and admins
    change roles first) or themselves (a ban would lock them out of the very page that lifts it)."""
    return (can_moderate(user) and member.id != user.id and not member.is_admin
            and (not member.is_moderator or user.is_admin))


def can_unban(user, member: User) -> bool:
    """Who may ban may lift the ban; an admin banned at the console is let back by another admin."""
    return can_moderate(user) and member.id != user.id and (not member.is_moderator or user.is_admin)


def can_edit_resources(user) -> bool:
    return can_moderate(user)


def can_see_email(viewer, profile: User) -> bool:
    return is_signed_in(viewer) and (viewer.id == profile.id or viewer.is_admin)


def edits_as_moderator(user, story) -> bool:
    """A moderator editing another member's story: the edit is logged, and may hide the versions it replaces."""
    return can_moderate(user) and story.author_id != user.id


VERIFIABLE_OUTCOMES = ("passed", "failed")  # "awaiting result" has no score report to show yet


def can_request_verification(user, story) -> bool:
    """Upload a score report for a moderator to compare with the record: the author, not banned, of a published
    story with a result, not verified already (an edit of the record lapses a verification, and opens this again)."""
    return (can_post(user) and story.author_id == user.id and story.status == "published"
            and story.outcome in VERIFIABLE_OUTCOMES and story.verified_at is None)


def can_withdraw_score_report(user, story) -> bool:
    """The uploader takes back a pending report at any time, banned or not: it holds their personal data."""
    return is_signed_in(user) and story.author_id == user.id


def can_decide_verification(user, story) -> bool:
    """Moderators decide on score reports, never on their own story's."""
    return can_moderate(user) and story.author_id != user.id


def can_see_hidden_revision(user) -> bool:
    """A version a moderator hid (a redaction) is shown to moderators only; others see that it was hidden."""
    return can_moderate(user)


def can_link_journey(user, story) -> bool:
    """Link a story with the author's other attempts at its step: the author, while the story stands. A journey
    says "these were my attempts", which only the person who took them can say, not a moderator."""
    return can_post(user) and story.author_id == user.id and story.status == "published"


def can_fill_in_prediction_from(user, story) -> bool:
    """Fill /predict in from a story's record: the author's own published story only (banned or not: it only reads
    their own record back to them, and nothing is stored)."""
    return is_signed_in(user) and story.author_id == user.id and story.status == "published"
