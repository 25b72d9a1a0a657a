"""Comment threads: loading a whole thread in reading order, and adding to it."""
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from . import caching, following, history, markup, notifications
from .extensions import db
from .jobs import enqueue
from .models import MAX_DEPTH, MAX_STORED_DEPTH, Comment, Revision, Story, User, path_segment, utcnow

COMMENT_SORTS = {"top": "Top", "new": "New", "old": "Old"}
MENTION = markup.MENTION
MAX_MENTIONS = 10  # a comment naming more people than this is a broadcast, not a conversation


@dataclass
class Node:
    comment: Comment
    children: list["Node"] = field(default_factory=list)
    level: int = 0  # the nesting shown, at most MAX_DEPTH
    replying_to: str | None = None  # set when the comment is shown flatter than it is deep


def load_thread(story: Story, sort: str = "top") -> tuple[list[Node], list[Comment]]:
    """The whole thread in one ordered query (plus one for authors), arranged as a tree of Nodes.

    Ordering by the stored path gives reading order; siblings are then sorted in Python (votes, then age, for
    Top). Replies deeper than MAX_DEPTH hang under their ancestor at MAX_DEPTH - 1, with "replying to @name".
    """
    comments = list(db.session.scalars(
        sa.select(Comment).where(Comment.story_id == story.id).order_by(Comment.path)
        .options(selectinload(Comment.author))))
    nodes: dict[int, Node] = {}
    roots: list[Node] = []
    for comment in comments:
        node = Node(comment)
        nodes[comment.id] = node
        parent = nodes.get(comment.parent_id) if comment.parent_id else None
        if parent is None:
            roots.append(node)
            continue
        anchor = parent
        while anchor.level >= MAX_DEPTH and anchor.comment.parent_id in nodes:
            anchor = nodes[anchor.comment.parent_id]
        node.level = anchor.level + 1
        if anchor is not parent:
            node.replying_to = parent.comment.author.username
        anchor.children.append(node)
    _sort(roots, sort)
    return roots, comments


def _sort(nodes: list[Node], sort: str) -> None:
    if sort == "new":
        nodes.sort(key=lambda n: (n.comment.created_at, n.comment.id), reverse=True)
    elif sort == "old":
        nodes.sort(key=lambda n: (n.comment.created_at, n.comment.id))
    else:
        nodes.sort(key=lambda n: (-n.comment.votes, n.comment.created_at, n.comment.id))
    for node in nodes:
        _sort(node.children, sort)


def add_comment(*, story: Story, author: User, body: str, parent: Comment | None,
                submission_key: str | None) -> Comment:
    """Insert a comment with its thread path, bump the story's count, and notify who should hear of it.

    It retires the story's page only: listings show the new count within caching.STALE_SECONDS."""
    caching.retire(caching.story(story.id))
    if parent is not None and parent.depth >= MAX_STORED_DEPTH:
        parent = db.session.get(Comment, parent.parent_id) or parent
    mentioned = mentioned_users(body)
    comment = Comment(story_id=story.id, author_id=author.id, parent_id=parent.id if parent else None,
                      depth=parent.depth + 1 if parent else 0, body=body,
                      body_html=render_comment(body, mentioned),
                      created_at=utcnow(), submission_key=submission_key)
    db.session.add(comment)
    db.session.flush()  # the id is part of the path
    comment.path = (parent.path + "." if parent else "") + path_segment(comment.id)
    db.session.execute(sa.update(Story).where(Story.id == story.id)
                       .values(comment_count=Story.comment_count + 1))
    notify_for(comment=comment, story=story, author=author, parent=parent, mentioned=mentioned)
    return comment


def notify_for(*, comment: Comment, story: Story, author: User, parent: Comment | None,
               mentioned: list[User]) -> None:
    replied_to = parent.author_id if parent else story.author_id
    notified = {author.id}
    if replied_to not in notified:
        notifications.notify(user_id=replied_to, kind="reply", actor=author, story=story, comment=comment)
        notified.add(replied_to)
    for user in mentioned:
        if user.id not in notified:
            notifications.notify(user_id=user.id, kind="mention", actor=author, story=story, comment=comment)
            notified.add(user.id)
    # the story's followers, told by a job after the commit: already told of it as a reply or mention, never twice
    enqueue(following.notify_comment_followers, comment.id, sorted(notified))


def mentioned_users(body: str) -> list[User]:
    from .models import username_key

    keys = list(dict.fromkeys(username_key(name) for name in MENTION.findall(body)))[:MAX_MENTIONS]
    if not keys:
        return []
    return list(db.session.scalars(sa.select(User).where(User.username_key.in_(keys))))


def render_comment(body: str, mentioned: list[User]) -> str:
    """A comment's HTML, with each @name of a member (`mentioned`, from mentioned_users) linked to their profile."""
    from .models import username_key

    members = {username_key(user.username): user.username for user in mentioned}
    typed = {name: members[username_key(name)] for name in MENTION.findall(body) if username_key(name) in members}
    return markup.render(body, mentions=typed)


def edit_comment(*, comment: Comment, body: str, editor: User) -> None:
    from . import moderation

    if body != comment.body:
        body_html = render_comment(body, mentioned_users(body))  # before the first write, which takes the lock
        db.session.add(Revision(item_type="comment", item_id=comment.id, body=comment.body, editor=editor,
                                snapshot=history.dumps(history.comment_snapshot(comment))))
        comment.body = body
        comment.body_html = body_html
        comment.edited_at = utcnow()
        if editor.id != comment.author_id:
            moderation.record(actor=editor, action="edit_comment", target_type="comment", target_id=comment.id,
                              target_label=comment.body[:80], reason="edited by a moderator")


def soft_delete_comment(comment: Comment) -> None:
    """The text goes; the place in the thread stays, so replies keep their context."""
    comment.status = "deleted"
    comment.status_reason = "deleted by its author"
