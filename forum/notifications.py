"""Notifications: a row, the cached unread count, and an email when the person asked for one."""
import sqlalchemy as sa
from flask import render_template
from sqlalchemy.orm import joinedload, selectinload

from . import caching, mail
from .extensions import db
from .jobs import enqueue, job
from .models import Comment, Notification, Story, User, utcnow
from .urls import comment_url, story_url

EMAIL_PREFERENCE = {"reply": "email_on_reply", "mention": "email_on_mention"}


def notify(*, user_id: int, kind: str, actor: User | None, story: Story | None = None,
           comment: Comment | None = None) -> None:
    """Record a notification in the caller's transaction; if the recipient opted in, mail it once that commits."""
    notification = Notification(user_id=user_id, kind=kind, actor_id=actor.id if actor else None,
                                story_id=story.id if story else None, comment_id=comment.id if comment else None)
    db.session.add(notification)
    db.session.execute(sa.update(User).where(User.id == user_id)
                       .values(unread_notifications=User.unread_notifications + 1))
    preference = EMAIL_PREFERENCE.get(kind)
    if preference and story is not None:
        recipient = db.session.get(User, user_id)
        if recipient is not None and getattr(recipient, preference):
            db.session.flush()  # the job is given the notification's id
            enqueue(mail_notification, notification.id)


@job
def mail_notification(notification_id: int) -> None:
    """Render and send one notification's mail, from the rows as committed (a job: never inside a request)."""
    notification = db.session.scalar(
        sa.select(Notification).where(Notification.id == notification_id)
        .options(joinedload(Notification.actor), selectinload(Notification.story)))
    if notification is None or notification.story is None:
        return  # deleted since: nothing left to tell
    recipient = db.session.get(User, notification.user_id)
    actor, kind, story = notification.actor, notification.kind, notification.story
    link = comment_url(notification.comment_id, external=True) if notification.comment_id else \
        story_url(story, external=True)
    mail.send(to=recipient.email, subject=f"{actor.username if actor else 'Someone'} "
              f"{'replied to you' if kind == 'reply' else 'mentioned you'} on Step Stories",
              body=render_template("users/notification_email.txt", recipient=recipient, actor=actor, kind=kind,
                                   story=story, link=link))


def mark_all_read(user: User) -> None:
    caching.retire()  # the count shows only in the reader's own menu, a hole filled per request
    db.session.execute(sa.update(Notification).where(Notification.user_id == user.id,
                                                     Notification.read_at.is_(None)).values(read_at=utcnow()))
    db.session.execute(sa.update(User).where(User.id == user.id).values(unread_notifications=0))
