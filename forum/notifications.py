"""Notifications: a row, the cached unread count, and an email when the person asked for one."""
import logging

import sqlalchemy as sa
from flask import render_template

from . import mail
from .extensions import db
from .models import Comment, Notification, Story, User, utcnow
from .urls import comment_url, story_url

log = logging.getLogger(__name__)
EMAIL_PREFERENCE = {"reply": "email_on_reply", "mention": "email_on_mention"}


def notify(*, user_id: int, kind: str, actor: User | None, story: Story | None = None,
           comment: Comment | None = None) -> None:
    """Record a notification in the caller's transaction; mail it if the recipient opted in."""
    db.session.add(Notification(user_id=user_id, kind=kind, actor_id=actor.id if actor else None,
                                story_id=story.id if story else None, comment_id=comment.id if comment else None))
    db.session.execute(sa.update(User).where(User.id == user_id)
                       .values(unread_notifications=User.unread_notifications + 1))
    preference = EMAIL_PREFERENCE.get(kind)
    if preference:
        recipient = db.session.get(User, user_id)
        if recipient is not None and getattr(recipient, preference) and story is not None:
            link = comment_url(comment, external=True) if comment else story_url(story, external=True)
            try:
                mail.send(to=recipient.email, subject=f"{actor.username if actor else 'Someone'} "
                          f"{'replied to you' if kind == 'reply' else 'mentioned you'} on Step Stories",
                          body=render_template("users/notification_email.txt", recipient=recipient, actor=actor,
                                               kind=kind, story=story, link=link))
            except OSError:
                log.warning("notification mail failed for user_id=%s", user_id)


def mark_all_read(user: User) -> None:
    db.session.execute(sa.update(Notification).where(Notification.user_id == user.id,
                                                     Notification.read_at.is_(None)).values(read_at=utcnow()))
    db.session.execute(sa.update(User).where(User.id == user.id).values(unread_notifications=0))
