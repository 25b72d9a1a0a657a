"""Every kind of page passes the W3C validator (vnu) with no errors and axe-core with no serious or critical
violation, for a visitor, a member and a moderator.

The pages come from the app's own URL map: every GET rule is either visited or listed in SKIPPED with the reason,
so a new page is checked the day it is added. Each role sees one page per route shape it may open: a visitor every
public page, a member the member pages and the public pages that grow member controls (MEMBER_VARIANTS), a
moderator the moderator pages and the pages that grow moderator tools (MODERATOR_VARIANTS); at most MAX_PAGES.

The server runs on a database of its own filled by `flask seed-demo` plus the rows a few pages need to show all
their parts (a revision, a report, a pending score report, a notification), so the shared live_server stays empty
for the other browser tests. vnu reads the HTML the server sent; axe runs in Chromium on the page as built.
vnu-jar and axe-core are pinned npm devDependencies (package.json): `npm ci` installs them, and vnu needs Java.
"""
import json
import shutil
import subprocess
import threading
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import current_app
from flask_migrate import upgrade
from werkzeug.serving import make_server

from forum import create_app, demo, notifications, threads
from forum.extensions import db
from forum.models import (
    Feature,
    PasswordResetToken,
    Report,
    Resource,
    ResourceSuggestion,
    Revision,
    ScoreReport,
    Story,
    User,
    utcnow,
)
from forum.permissions import VERIFIABLE_OUTCOMES
from tests.e2e.browser import sign_in
from tests.e2e.conftest import _require_e2e
from tests.web.test_endpoint_access import ACCESS, ADMIN, MEMBER, MODERATOR, PUBLIC

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING_IMPACTS = ("serious", "critical")
# The JIT's first tier only: a run this short is over before the second pays off (about 4 s instead of 10). Its
# frames are larger, and vnu's schema walk recurses deeply, so the stack grows too (vnu asks for 512k at least).
JAVA_OPTIONS = ["-XX:TieredStopAtLevel=1", "-Xss16m"]
MAX_PAGES = 60  # one browser and one page per role keep this near a minute; more shapes means choosing again

# GET rules that are no HTML page of their own, and why.
SKIPPED = {
    "/static/<path:filename>": "stylesheets, scripts and images",
    "/healthz": "plain-text probe for the load balancer", "/readyz": "plain-text probe for the load balancer",
    "/sitemap.xml": "XML", "/feeds/stories.atom": "Atom feed", "/feeds/steps/<slug>.atom": "Atom feed",
    "/feeds/resources/<slug>.atom": "Atom feed", "/feeds/users/<username>.atom": "Atom feed",
    "/insights.csv": "CSV download", "/mod/verifications/<int:report_id>/file": "the uploaded file itself",
    "/stories/<int:story_id>": "redirect-only: 301 to the address with the slug",
    "/comments/<int:comment_id>": "redirect-only: to the comment on its story page",
    "/resources/new": "redirect-only: 308 to /mod/resources/new",
    "/resources/suggestions": "redirect-only: 308 to /mod/resources/suggestions",
    "/resources/<slug>/edit": "redirect-only: 308 to /mod/resources/<slug>/edit",
    "/resources/<slug>/merge": "redirect-only: 308 to /mod/resources/<slug>/merge",
}
SKIPPED_PREFIXES = {"/api/v1/": "JSON API"}  # /api/docs, its reference, is a page and is checked
# Public pages that grow controls for a signed-in member (vote, save, follow, comment, report, "fill in from my
# story"). /stories, the step hubs and the resource pages show the story cards /search shows, which is enough.
MEMBER_VARIANTS = {"hubs.home", "stories.show", "stories.search_page", "users.profile", "insights.predict"}
# Pages that grow moderator tools (feature, hide a revision, remove or ban, the edit reason, the log's detail).
MODERATOR_VARIANTS = {"hubs.home", "stories.show", "stories.revisions", "comments.revisions", "users.profile",
                      "moderation.log", "stories.edit"}
ROLE_LEVELS = {"visitor": {PUBLIC}, "member": {MEMBER}, "moderator": {MODERATOR, ADMIN}}
ROLE_VARIANTS = {"visitor": set(), "member": MEMBER_VARIANTS, "moderator": MODERATOR_VARIANTS}
# Pages beyond the URL map's shapes, for the visitor: the answers that are not 200.
EXTRA_VISITOR_PAGES = [("a removed story", "removed_story", 410), ("a page that does not exist", "missing", 404)]
MEMBER_NAME = "jules_md"
MODERATOR_NAME = "maya_img"  # the demo admin: a moderator who may also open /mod/users


def _need(condition: bool, why: str) -> None:
    if not condition:
        if _require_e2e():
            pytest.fail(f"FORUM_REQUIRE_E2E=1 but {why}")
        pytest.skip(why)


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    """A server of its own, on the demo content and the extra rows in seed_extras()."""
    _need(VNU_JAR.exists() and AXE_JS.exists(), "vnu-jar and axe-core are not installed (npm ci)")
    _need(shutil.which("java") is not None, "no java (vnu needs it: apt-get install default-jre-headless)")
    db_path = tmp_path_factory.mktemp("validators") / "demo.db"
    app = create_app({"SECRET_KEY": "validators-secret-key", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{db_path}",
                      "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_COST": 1024,
                      "MAIL_OUTBOX": str(tmp_path_factory.mktemp("validators-outbox"))})
    with app.app_context():
        upgrade()
        demo.seed()
        values = seed_extras()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{server.server_port}", "app": app, "values": values}
    server.shutdown()


def seed_extras() -> dict:
    """Rows that make every part of a page appear, and the values that fill each rule's variables."""
    from forum.auth import email_change

    member = db.session.scalar(sa.select(User).where(User.username == MEMBER_NAME))
    moderator = db.session.scalar(sa.select(User).where(User.username == MODERATOR_NAME))
    mine = db.session.scalars(sa.select(Story).where(Story.author_id == member.id, Story.status == "published",
                                                     Story.outcome.in_(VERIFIABLE_OUTCOMES)).order_by(Story.id)).first()
    others = db.session.scalars(sa.select(Story).where(Story.author_id != member.id, Story.status == "published")
                                .order_by(Story.id).limit(3)).all()
    now = utcnow().replace(microsecond=123456)  # as the database keeps them: the pages must not print these
    mine.score_edited_at = now
    others[0].verified_at = now
    others[1].status = "removed"
    comment = threads.add_comment(story=mine, author=member, body="What I would do again: the NBMEs, early.",
                                  parent=None, submission_key=None)
    threads.add_comment(story=mine, author=moderator, body="Thank you for writing this up.", parent=comment,
                        submission_key=None)  # a notification for the member
    for item_type, item_id in (("story", mine.id), ("comment", comment.id)):
        db.session.add(Revision(item_type=item_type, item_id=item_id, title=mine.title if item_type == "story" else "",
                                body="An earlier version of the words.", editor_id=member.id, created_at=now))
    db.session.add(Revision(item_type="story", item_id=mine.id, title=mine.title, body="A hidden version.",
                            editor_id=member.id, created_at=now, hidden_at=now, hidden_by_id=moderator.id,
                            hidden_reason="Named a patient."))
    db.session.add(Report(reporter_id=member.id, target_type="story", target_id=others[2].id, reason="spam",
                          note="Looks like an advert.", open_key=Report.key_for(member.id, "story", others[2].id)))
    score_report = ScoreReport(story_id=others[2].id, uploader_id=others[2].author_id, filename="score report.pdf",
                               content_type="application/pdf", size=9, content=b"%PDF-1.7\n", created_at=now)
    db.session.add(score_report)
    db.session.add(ResourceSuggestion(story_id=mine.id, name="A book nobody lists", rating=4, created_at=now))
    resource = db.session.scalars(sa.select(Resource).order_by(Resource.id)).first()
    db.session.scalars(sa.select(Resource).order_by(Resource.id.desc())).first().retired_on = now.date()
    feature = db.session.scalars(sa.select(Feature).order_by(Feature.id)).first()
    feature.expires_at = now + timedelta(days=30)
    reset_row, reset_token = PasswordResetToken.issue(member, purpose="reset")
    link_row, link_token = PasswordResetToken.issue(member, purpose="sign_in")
    db.session.add_all([reset_row, link_row])
    db.session.commit()
    email_token = email_change._serializer().dumps([member.id, "new.address@example.org", member.email])
    with current_app.test_request_context():
        unsubscribe_token = notifications.unsubscribe_url(member.id, "reply").rsplit("/", 1)[1]
    return {"story_id": mine.id, "comment_id": comment.id, "username": member.username, "report_id": score_report.id,
            "target_type": "story", "target_id": others[2].id, "removed_story": f"/stories/{others[1].id}",
            "missing": "/no-such-page", "slug": {"hubs.step": "step-1", "mod.edit_hub": "home"},
            "resource_slug": resource.slug,
            "token": {"auth.reset_password": reset_token, "auth.sign_in_link": link_token,
                      "users.confirm_email": email_token, "users.unsubscribe": unsubscribe_token}}


def skip_reason(rule: str) -> str | None:
    return SKIPPED.get(rule) or next((why for prefix, why in SKIPPED_PREFIXES.items() if rule.startswith(prefix)),
                                     None)


def pages_by_role(app, values: dict) -> dict[str, list[tuple[str, str, int]]]:
    """For each role, (what, url, expected status): one per GET route shape the role may open."""
    shapes = []
    with app.test_request_context():
        from flask import url_for

        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
            if "GET" not in rule.methods or skip_reason(rule.rule):
                continue
            arguments = {}
            for name in rule.arguments:
                value = values[name]
                if name == "slug":
                    value = value.get(rule.endpoint, values["resource_slug"])
                elif isinstance(value, dict):
                    value = value[rule.endpoint]
                arguments[name] = value
            shapes.append((rule.endpoint, url_for(rule.endpoint, **arguments)))
    pages = {}
    for role, levels in ROLE_LEVELS.items():
        pages[role] = [(endpoint, url, 200) for endpoint, url in shapes
                       if ACCESS.get(endpoint) in levels or endpoint in ROLE_VARIANTS[role]]
    pages["visitor"] += [(what, values[key], status) for what, key, status in EXTRA_VISITOR_PAGES]
    return pages


def test_the_page_list_covers_every_page_shape_and_stays_small(demo_server):
    pages = pages_by_role(demo_server["app"], demo_server["values"])
    visited = {endpoint for role_pages in pages.values() for endpoint, _, _ in role_pages}
    unvisited = {rule.rule for rule in demo_server["app"].url_map.iter_rules()
                 if "GET" in rule.methods and rule.endpoint not in visited and not skip_reason(rule.rule)}
    assert unvisited == set(), "visit these in a role, or add them to SKIPPED with the reason"
    assert sum(map(len, pages.values())) <= MAX_PAGES


def test_every_page_passes_vnu_and_axe(demo_server, browser, tmp_path):
    pages = pages_by_role(demo_server["app"], demo_server["values"])
    axe_source = AXE_JS.read_text()
    files, axe_problems, status_problems = {}, [], []
    for role, role_pages in pages.items():
        context = browser.new_context(base_url=demo_server["url"])
        page = context.new_page()
        if role != "visitor":
            sign_in(page, MEMBER_NAME if role == "member" else MODERATOR_NAME, demo.DEMO_PASSWORD)
        for number, (what, url, status) in enumerate(role_pages):
            response = page.goto(url)
            if response.status != status:
                status_problems.append(f"{role} {url} ({what}): status {response.status}, not {status}")
            path = tmp_path / f"{role}-{number:02d}.html"
            path.write_bytes(response.body())
            files[str(path)] = f"{role} {url}"
            axe_problems += [f"{role} {url}: {problem}" for problem in run_axe(page, axe_source)]
        context.close()
    vnu_problems = run_vnu(files)
    assert status_problems + vnu_problems + axe_problems == [], (
        f"{len(vnu_problems)} vnu errors, {len(axe_problems)} serious or critical axe violations over {len(files)} "
        "pages:\n" + "\n".join(status_problems + vnu_problems + axe_problems))


def run_axe(page, axe_source: str) -> list[str]:
    """axe-core's serious and critical violations on the page as Chromium built it. page.evaluate is not subject
    to the site's CSP, which would refuse an injected <script>."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(axe_source)
    violations = page.evaluate(r"""async (tags) => {
        const results = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
        return results.violations.map(v => ({id: v.id, impact: v.impact,
                                             nodes: v.nodes.map(n => n.html.replace(/\s+/g, ' ').slice(0, 160))}));
    }""", AXE_TAGS)
    return [f"axe {v['id']} ({v['impact']}): {node}" for v in violations if v["impact"] in FAILING_IMPACTS
            for node in v["nodes"]]


def run_vnu(files: dict[str, str]) -> list[str]:
    """One java process over every saved page (starting the JVM is most of vnu's time); errors only."""
    result = subprocess.run(["java", *JAVA_OPTIONS, "-jar", str(VNU_JAR), "--format", "json", "--errors-only",
                             *files], capture_output=True, text=True, timeout=300)
    assert result.returncode in (0, 1) and result.stderr.startswith("{"), result.stderr[-2000:]
    messages = json.loads(result.stderr)["messages"]
    problems = []
    for message in messages:
        name = message.get("url", "").removeprefix("file:")
        page = files.get(name) or next((url for path, url in files.items() if name.endswith(path)), name)
        problems.append(f"vnu {page} line {message.get('lastLine')}: {message.get('message')} "
                        f"[{message.get('extract', '').strip()[:160]}]")
    return problems

