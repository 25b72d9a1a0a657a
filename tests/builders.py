"""Builders that put rows straight into the database, so each test states only what it cares about."""
import itertools
import re

from forum import passwords
from forum.extensions import db
from forum.models import User, username_key

DEFAULT_PASSWORD = "correct horse battery staple"
_counter = itertools.count(1)


def make_user(username: str | None = None, *, email: str | None = None, password: str = DEFAULT_PASSWORD,
              role: str = "member", **fields) -> User:
    n = next(_counter)
    username = username or f"user{n}"
    email = email or f"{username.lower()}@example.org"
    user = User(username=username, username_key=username_key(username), email=email,
                password_hash=passwords.hash_password(password), role=role, **fields)
    db.session.add(user)
    db.session.commit()
    return user


def csrf_token_from(html: str) -> str:
    match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or \
        re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def get_csrf(client, url: str = "/auth/login") -> str:
    return csrf_token_from(client.get(url, follow_redirects=True).get_data(as_text=True))


def post_form(client, url: str, data: dict, *, token_from: str | None = None, **kwargs):
    """POST like a browser: fetch the page (or token_from) first for a CSRF token."""
    token = get_csrf(client, token_from or url)
    return client.post(url, data={"csrf_token": token, **data}, **kwargs)


def sign_in(client, user_or_login, password: str = DEFAULT_PASSWORD, **extra):
    login = user_or_login if isinstance(user_or_login, str) else user_or_login.username
    response = post_form(client, "/auth/login", {"login": login, "password": password, **extra})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


def fresh(obj):
    """Reload obj as the database has it now: end the test session's transaction (a SQLite WAL snapshot) first."""
    db.session.rollback()
    db.session.refresh(obj)
    return obj


def make_resource(name: str, *, slug: str | None = None, kind: str = "qbank", steps=("step1",),
                  aliases=(), scale: str | None = None):
    from forum import catalogue
    from forum.models import Resource
    from forum.models.stories import slugify

    resource = Resource(slug=slug or slugify(name), name=name, kind=kind, steps=" ".join(steps), scale=scale)
    catalogue.add_aliases(resource, [name, resource.slug, *aliases])
    db.session.add(resource)
    db.session.commit()
    return resource


def make_story(author=None, *, title: str = "How I passed Step 2 CK", body: str = "It went well. " * 5,
               resources=(), created_at=None, **fields):
    """A published story straight into the database; `resources` is a list of Resource rows."""
    from datetime import date

    from forum import markup, ranking
    from forum.models import Story, StoryResource, utcnow
    from forum.models.stories import slugify

    author = author or make_user()
    created_at = created_at or utcnow()
    values = {"step": "step2ck", "exam_month": date(2025, 6, 1), "attempt": 1, "outcome": "passed", "score": 245,
              "background": author.background, "prep_weeks": 8, "votes": 0, **fields}
    story = Story(author=author, title=title, slug=slugify(title), body=body, body_html=markup.render(body),
                  created_at=created_at, hot=ranking.hot(values["votes"], created_at), **values)
    story.resource_links = [StoryResource(resource=r, resource_id=r.id, position=i) for i, r in enumerate(resources)]
    story.practice_scores = []
    db.session.add(story)
    db.session.commit()
    return story


class QueryCounter:
    """Counts SQL statements sent while it is active (requests included: they share the engine)."""

    def __init__(self):
        self.statements: list[str] = []

    def __enter__(self):
        import sqlalchemy as sa

        sa.event.listen(db.engine, "before_cursor_execute", self._remember)
        return self

    def __exit__(self, *exc):
        import sqlalchemy as sa

        sa.event.remove(db.engine, "before_cursor_execute", self._remember)

    def _remember(self, conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
            self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


def make_comment(story, author=None, *, body: str = "Thanks, this helped.", parent=None, **fields):
    from forum import markup
    from forum.models import Comment, path_segment

    author = author or make_user()
    comment = Comment(story_id=story.id, author_id=author.id, parent_id=parent.id if parent else None,
                      depth=parent.depth + 1 if parent else 0, body=body, body_html=markup.render(body), **fields)
    db.session.add(comment)
    db.session.flush()
    comment.path = (parent.path + "." if parent else "") + path_segment(comment.id)
    db.session.commit()
    return comment


def make_listing_shelf() -> tuple[dict, dict]:
    """Four published stories that differ in step, outcome, background, resources, age and votes, for the listing
    and API tests; returns them by name, and the two resources (uw, amboss) they use."""
    from datetime import date, timedelta

    from forum.models import utcnow

    uw = make_resource("UWorld Step 2 CK QBank", slug="uworld-step-2-ck", steps=["step2ck"], aliases=["uw"])
    amboss = make_resource("AMBOSS", steps=["step1", "step2ck"])
    img, md = make_user("img_writer", background="img"), make_user("md_writer", background="us_md")
    now = utcnow()
    stories = {
        "ck_uw_pass_img": make_story(img, title="CK with UWorld, passed", resources=[uw], created_at=now),
        "ck_uw_fail_md": make_story(md, title="CK with UWorld, failed", resources=[uw, amboss], outcome="failed",
                                    score=200, created_at=now - timedelta(hours=1), votes=3),
        "s1_amboss_img": make_story(img, title="Step 1 with AMBOSS", step="step1", exam_month=date(2023, 5, 1),
                                    score=None, resources=[amboss], created_at=now - timedelta(days=3), votes=9),
        "s3_old": make_story(md, title="Step 3 long ago", step="step3", score=230, created_at=now - timedelta(days=40),
                             votes=50),
    }
    return stories, {"uw": uw, "amboss": amboss}
