"""Host header poisoning: every link that leaves the site is built on FORUM_BASE_URL, never on the Host a request
names, and production answers a Host it does not know with a 400."""
from pathlib import Path

import pytest

from forum import create_app
from forum.config import ConfigError
from forum.urls import external_url, story_url
from tests.builders import make_resource, make_story

BASE = "https://stepstories.example"
FORGED = {"Host": "evil.example"}


@pytest.fixture
def base_url(app, monkeypatch):
    monkeypatch.setitem(app.config, "FORUM_BASE_URL", BASE)
    return BASE


def test_an_external_link_built_during_a_forged_host_request_uses_the_base_url(app, base_url):
    story = make_story()
    with app.test_request_context("/auth/reset", headers=FORGED):
        assert story_url(story, external=True) == f"{BASE}/stories/{story.id}-{story.slug}"
        assert external_url("auth.reset_password", token="t0ken") == f"{BASE}/auth/reset/t0ken"
        assert story_url(story) == f"/stories/{story.id}-{story.slug}"  # links on the page stay relative


def test_a_base_url_with_a_path_prefixes_every_external_link(app, monkeypatch):
    monkeypatch.setitem(app.config, "FORUM_BASE_URL", "https://example.org/forum")
    with app.test_request_context(headers=FORGED):
        assert external_url("feeds.stories") == "https://example.org/forum/feeds/stories.atom"


@pytest.mark.parametrize("path", ["/feeds/stories.atom", "/feeds/steps/step-1.atom", "/feeds/resources/uworld.atom",
                                  "/sitemap.xml"])
def test_feeds_and_the_sitemap_ignore_a_forged_host(client, base_url, path):
    make_resource("UWorld", slug="uworld")
    make_story(title="A story with links")
    body = client.get(path, headers=FORGED).get_data(as_text=True)
    assert f"{BASE}/" in body
    assert "evil.example" not in body


def test_the_story_page_head_and_the_api_ignore_a_forged_host(client, base_url):
    story = make_story()
    page = client.get(f"/stories/{story.id}-{story.slug}", headers=FORGED).get_data(as_text=True)
    assert f'<link rel="canonical" href="{BASE}/stories/{story.id}-{story.slug}">' in page
    assert f'href="{BASE}/feeds/stories.atom"' in page
    assert "evil.example" not in page
    api = client.get(f"/api/v1/stories/{story.id}", headers=FORGED).get_json()
    assert api["url"] == f"{BASE}/stories/{story.id}-{story.slug}"


def production_app(app, monkeypatch, **env):
    for name, value in {"FORUM_ENV": "production", "SECRET_KEY": "s" * 48, "FORUM_BASE_URL": BASE,
                        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], **env}.items():
        monkeypatch.setenv(name, value)
    return create_app()


def test_production_answers_an_unknown_host_with_400(app, monkeypatch):
    client = production_app(app, monkeypatch).test_client()
    assert client.get("/healthz", headers=FORGED).status_code == 400
    assert client.get("/healthz", headers={"Host": "stepstories.example"}).status_code == 200


def test_production_answers_the_extra_trusted_hosts(app, monkeypatch):
    client = production_app(app, monkeypatch, FORUM_TRUSTED_HOSTS="10.0.0.11, www.stepstories.example") \
        .test_client()
    assert client.get("/healthz", headers={"Host": "10.0.0.11:8000"}).status_code == 200
    assert client.get("/healthz", headers={"Host": "www.stepstories.example"}).status_code == 200
    assert client.get("/healthz", headers=FORGED).status_code == 400


def test_production_refuses_to_start_without_a_base_url(monkeypatch):
    monkeypatch.setenv("FORUM_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "s" * 48)
    monkeypatch.delenv("FORUM_BASE_URL", raising=False)
    with pytest.raises(ConfigError, match="FORUM_BASE_URL"):
        create_app()


@pytest.mark.parametrize("value", ["stepstories.example", "ftp://stepstories.example", "https://",
                                   "https://user@stepstories.example", "https://stepstories.example/?q=1"])
def test_a_base_url_that_is_not_a_site_address_is_refused(monkeypatch, value):
    monkeypatch.setenv("FORUM_BASE_URL", value)
    with pytest.raises(ConfigError, match="FORUM_BASE_URL"):
        create_app()


def test_development_defaults_to_the_make_run_address(monkeypatch, tmp_path):
    monkeypatch.delenv("FORUM_BASE_URL", raising=False)
    monkeypatch.delenv("FORUM_ENV", raising=False)
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'dev.db'}", "SECRET_KEY": "x" * 32})
    assert app.config["FORUM_BASE_URL"] == "http://127.0.0.1:5000"
    assert app.config["TRUSTED_HOSTS"] is None


def test_no_code_or_template_builds_an_absolute_url_from_the_request():
    """Every absolute URL comes from forum.urls (FORUM_BASE_URL): a new `_external=True` would use the Host again."""
    forum = Path(__file__).resolve().parents[2] / "forum"
    sources = [p for p in forum.rglob("*") if p.suffix in {".py", ".html", ".xml", ".txt"} and p.name != "urls.py"]
    for path in sources:
        text = path.read_text()
        for request_based in ("_external", "url_root", "host_url", "request.host"):
            assert request_based not in text, f"{path.relative_to(forum)}: {request_based}; use forum.urls"
