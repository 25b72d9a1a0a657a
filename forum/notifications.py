"""Notifications: a row, the unread count in the header, and mail for whoever asked for it.

**The count.** User.unread_notifications counts what was never marked read (written with each notification, in
its transaction). Opening /notifications must clear the header's number without a write on a GET, so the page
keeps the time of the reader's visit in their signed session cookie, and the header shows what is unread *and*
newer than that visit. A member with nothing unread costs no query; one with something costs a COUNT on the
(user_id, created_at) index. "Mark all as read" (a POST) still writes read_at. The visit is per browser: a phone
that never opened the page keeps its number.

**Mail.** A reply or a mention is mailed when the member ticked that box; what they follow, when they chose "each"
(one mail per notification) or "daily" (`flask notifications digest`, deploy/stepstories-digest.timer). All of
it leaves in jobs (forum/jobs.py), and every mail carries a signed one-click unsubscribe link for its list
(RFC 8058: the List-Unsubscribe headers, and a page with one button for people).
"""
from datetime import datetime

import sqlalchemy as sa
from flask import current_app, g, render_template, session
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy.orm import joinedload, selectinload

from . import caching, mail, markup
from .extensions import db
from .jobs import enqueue, job
from .models import Comment, MailPreference, Notification, Story, User, utcnow
from .models.following import FOLLOW_NOTIFICATION
from .urls import comment_url, external_url, story_url

EMAIL_PREFERENCE = {"reply": "email_on_reply", "mention": "email_on_mention"}
FOLLOW_NOTIFICATION_KINDS = tuple(FOLLOW_NOTIFICATION.values())
SEEN_SESSION_KEY = "notifications_seen_at"  # "<user id>:<ISO time>" of the reader's last visit to /notifications
SNIPPET_CHARS = 140  # a line or two: enough to know whether to open it
DIGEST_MAX = 50  # a digest lists at most this many, newest first, and says how many more wait on the site
# Each mail's list, which its unsubscribe link turns off: the two settings boxes, and the mail about follows.
MAIL_LISTS = {"reply": "email when someone replies to you", "mention": "email when someone mentions you",
              "follow": "email about what you follow"}
UNSUBSCRIBE_SALT = "unsubscribe"


def notify(*, user_id: int, kind: str, actor: User | None, story: Story | None = None,
           comment: Comment | None = None, mail: bool | None = None) -> None:
    """Record a notification in the caller's transaction; if the recipient asked for mail of it, mail it once that
    commits. mail: whether they did, where the caller already knows (the follow jobs read it for everyone at once)."""
    notification = Notification(user_id=user_id, kind=kind, actor_id=actor.id if actor else None,
                                story_id=story.id if story else None, comment_id=comment.id if comment else None,
                                created_at=utcnow())
    db.session.add(notification)
    db.session.execute(sa.update(User).where(User.id == user_id)
                       .values(unread_notifications=User.unread_notifications + 1))
    if mail is None:
        preference = EMAIL_PREFERENCE.get(kind)
        recipient = db.session.get(User, user_id) if preference and story is not None else None
        mail = recipient is not None and getattr(recipient, preference)
    if mail and story is not None:
        db.session.flush()  # the job is given the notification's id
        enqueue(mail_notification, notification.id)


# --- the count and the page ---------------------------------------------------------------------------------

def seen_at(user_id: int) -> datetime | None:
    """When this reader last opened /notifications in this browser (their signed session says), or None."""
    owner, _, when = str(session.get(SEEN_SESSION_KEY, "")).partition(":")
    if owner != str(user_id):
        return None
    try:
        return datetime.fromisoformat(when)
    except ValueError:
        return None


def mark_seen(user_id: int) -> datetime | None:
    """Remember this visit in the session (a cookie: nothing is written to the database); returns the last one."""
    previous = seen_at(user_id)
    session[SEEN_SESSION_KEY] = f"{user_id}:{utcnow().isoformat()}"
    g.unread_count = 0
    return previous


def unread_count(user) -> int:
    """`{{ unread_count(current_user) }}`: the header's number: unread and newer than the reader's last visit."""
    if not getattr(user, "unread_notifications", 0):
        return 0  # the stand-in of a cached page, a visitor, or nothing unread: no query
    if "unread_count" not in g:
        since = seen_at(user.id)
        g.unread_count = user.unread_notifications if since is None else db.session.scalar(
            sa.select(sa.func.count()).select_from(Notification).where(
                Notification.user_id == user.id, Notification.created_at > since, Notification.read_at.is_(None)))
    return g.unread_count


def page_rows(user_id: int, limit: int) -> list[Notification]:
    """The newest notifications with what their lines and snippets show, in three statements however many."""
    return list(db.session.scalars(
        sa.select(Notification).where(Notification.user_id == user_id)
        # selectin for the story: an outer join to stories (whose author is joined too) scans every story
        .options(joinedload(Notification.actor), selectinload(Notification.story), joinedload(Notification.comment))
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)))


def snippet(notification: Notification) -> str:
    """Plain text to show under a notification: the comment's opening, or the story's; nothing of what is removed."""
    comment, story = notification.comment, notification.story
    if comment is not None:
        return markup.render_plain_excerpt(comment.body, SNIPPET_CHARS) if comment.status == "published" else ""
    if story is not None and story.status == "published":
        return markup.render_plain_excerpt(story.body, SNIPPET_CHARS)
    return ""


def mark_all_read(user: User) -> None:
    caching.retire()  # the count shows only in the reader's own menu, a hole filled per request
    db.session.execute(sa.update(Notification).where(Notification.user_id == user.id,
                                                     Notification.read_at.is_(None)).values(read_at=utcnow()))
    db.session.execute(sa.update(User).where(User.id == user.id).values(unread_notifications=0))


# --- mail ---------------------------------------------------------------------------------------------------

def headline(kind: str, actor: User | None, story: Story) -> str:
    """What happened, in a few words: a mail's subject and a digest's line."""
    who = actor.username if actor else "Someone"
    return {"reply": f"{who} replied to you", "mention": f"{who} mentioned you",
            "new_comment": f"{who} commented on “{story.title}”"}.get(kind, f"New story: “{story.title}”")


def mail_list(kind: str) -> str:
    return kind if kind in EMAIL_PREFERENCE else "follow"


def still_wanted(recipient: User, kind: str) -> bool:
    if kind in EMAIL_PREFERENCE:
        return getattr(recipient, EMAIL_PREFERENCE[kind])
    preference = db.session.get(MailPreference, recipient.id)
    return preference is not None and preference.follow_mail == "each"


@job
def mail_notification(notification_id: int) -> None:
    """Render and send one notification's mail, from the rows as committed (a job: never inside a request)."""
    notification = db.session.scalar(
        sa.select(Notification).where(Notification.id == notification_id)
        .options(joinedload(Notification.actor), selectinload(Notification.story), joinedload(Notification.comment)))
    if notification is None or notification.story is None:
        return  # deleted since: nothing left to tell
    recipient = db.session.get(User, notification.user_id)
    actor, kind, story = notification.actor, notification.kind, notification.story
    if not still_wanted(recipient, kind):
        return  # unsubscribed since it was queued
    link = comment_url(notification.comment_id, external=True) if notification.comment_id else \
        story_url(story, external=True)
    unsubscribe = unsubscribe_url(recipient.id, mail_list(kind))
    mail.send(to=recipient.email, subject=f"{headline(kind, actor, story)} on Step Stories",
              body=render_template("users/notification_email.txt", recipient=recipient, actor=actor, kind=kind,
                                   story=story, link=link, snippet=snippet(notification), unsubscribe=unsubscribe,
                                   list_name=MAIL_LISTS[mail_list(kind)]),
              headers=unsubscribe_headers(unsubscribe))


def queue_digests() -> int:
    """One digest job per member who chose a daily digest and has unread news of their follows since their last;
    each covers up to now, so a second run the same minute finds nothing new. Returns how many were queued."""
    until = utcnow()
    news = sa.select(Notification.id).where(
        Notification.user_id == MailPreference.user_id, Notification.kind.in_(FOLLOW_NOTIFICATION_KINDS),
        Notification.read_at.is_(None), Notification.created_at <= until,
        sa.or_(MailPreference.last_digest_at.is_(None), Notification.created_at > MailPreference.last_digest_at))
    user_ids = db.session.scalars(sa.select(MailPreference.user_id).where(
        MailPreference.follow_mail == "daily", news.exists()).order_by(MailPreference.user_id)).all()
    for user_id in user_ids:
        enqueue(mail_digest, user_id, until.isoformat())
    return len(user_ids)


@job
def mail_digest(user_id: int, until: str) -> None:
    """One member's digest of what their follows brought up to `until`. Run twice (a retry), the second finds the
    digest already taken (last_digest_at) and sends nothing."""
    until_at = datetime.fromisoformat(until)
    preference = db.session.get(MailPreference, user_id)
    if preference is None or preference.follow_mail != "daily" or (
            preference.last_digest_at is not None and preference.last_digest_at >= until_at):
        return
    since = preference.last_digest_at
    window = [Notification.user_id == user_id, Notification.kind.in_(FOLLOW_NOTIFICATION_KINDS),
              Notification.read_at.is_(None), Notification.created_at <= until_at]
    if since is not None:
        window.append(Notification.created_at > since)
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Notification).where(*window))
    rows = list(db.session.scalars(
        sa.select(Notification).where(*window)
        .options(joinedload(Notification.actor), selectinload(Notification.story), joinedload(Notification.comment))
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(DIGEST_MAX)))
    items = [(headline(n.kind, n.actor, n.story), snippet(n),
              comment_url(n.comment_id, external=True) if n.comment_id else story_url(n.story, external=True))
             for n in rows if n.story is not None]
    recipient = db.session.get(User, user_id)
    unsubscribe = unsubscribe_url(user_id, "follow")
    body = render_template("users/digest_email.txt", recipient=recipient, items=items, more=total - len(items),
                           unsubscribe=unsubscribe, notifications=external_url("users.notifications_page"))
    preference.last_digest_at = until_at  # after the rendering: the write lock is held from here to the commit
    if items:
        caching.retire()  # nothing any page shows
        mail.send_later(to=recipient.email, subject=f"Step Stories: {total} new from what you follow", body=body,
                        headers=unsubscribe_headers(unsubscribe))
    db.session.commit()


# --- unsubscribing ------------------------------------------------------------------------------------------

def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def unsubscribe_url(user_id: int, list_name: str) -> str:
    """The link in a mail that turns its list off. It does not expire: it can only ever stop mail to the member
    it names, and a mail read in a year should still stop the next one."""
    return external_url("users.unsubscribe", token=_serializer().dumps([user_id, list_name]))


def unsubscribe_headers(url: str) -> dict[str, str]:
    """RFC 2369 and RFC 8058: mail programs show their own "Unsubscribe" and POST to the link, in one click."""
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    """(user id, list) from a link we signed, or None for anything else (tampered, cut short, another site's)."""
    try:
        user_id, list_name = _serializer().loads(token)
    except (BadData, TypeError, ValueError):
        return None
    if not isinstance(user_id, int) or list_name not in MAIL_LISTS:
        return None
    return user_id, list_name


def unsubscribe(user: User, list_name: str) -> None:
    if list_name == "follow":
        preference = db.session.get(MailPreference, user.id)
        if preference is not None:
            preference.follow_mail = "off"
    else:
        setattr(user, EMAIL_PREFERENCE[list_name], False)
