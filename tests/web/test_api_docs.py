"""/api/docs: the API reference page, drawn from the OpenAPI document the API serves."""
import html
import re
from urllib.parse import urlsplit

from forum import catalogue
from forum.extensions import db
from tests.builders import make_story


def operation_sections(page: str) -> dict[str, str]:
    return dict(re.findall(r'<section class="api-operation card" id="([^"]+)".*?>(.*?)</section>', page, re.S))


def test_the_reference_describes_every_operation_of_the_served_document(client):
    document = client.get("/api/v1/openapi.json").get_json()
    response = client.get("/api/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    sections = operation_sections(response.get_data(as_text=True))
    described = 0
    for path, item in document["paths"].items():
        for method, operation in item.items():
            section = html.unescape(sections[operation["operationId"]])
            assert f"<code>{method.upper()} {path}</code>" in section, path
            assert operation["summary"] in section, path
            for parameter in operation.get("parameters", []):
                row = re.search(rf"<tr><th scope=\"row\"><code>{re.escape(parameter['name'])}</code></th>"
                                rf"<td>{parameter['in']}</td><td>[^<]*</td>"
                                rf"<td>{'yes' if parameter.get('required') else 'no'}</td>", section)
                assert row, (path, parameter["name"])
            for code in operation["responses"]:
                assert f'<th scope="row">{code}</th>' in section, (path, code)
            assert re.search(r"<pre class=\"api-example\"><code>curl '[^']+'</code></pre>", section), path
            described += 1
    assert described == len(sections) >= 7


def test_each_example_works_against_the_api(client):
    """The curl lines are runnable: every one answers 200 (the story one names a story that exists)."""
    catalogue.load()
    db.session.commit()
    story = make_story()
    page = html.unescape(client.get("/api/docs").get_data(as_text=True))
    for url in re.findall(r"<code>curl '([^']+)'</code>", page):
        parts = urlsplit(url.replace("/stories/1", f"/stories/{story.id}"))
        response = client.get(f"{parts.path}?{parts.query}")
        assert response.status_code == 200, (url, response.get_json())


def test_the_footer_links_the_reference_which_links_the_raw_document(client):
    home = client.get("/stories").get_data(as_text=True)
    assert '<a href="/api/docs">API</a>' in home
    page = client.get("/api/docs").get_data(as_text=True)
    assert 'href="/api/v1/openapi.json"' in page
    assert "<script>" not in page and "style=" not in page
