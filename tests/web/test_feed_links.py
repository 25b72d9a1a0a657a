"""The step, resource and writer feeds are linked where readers see them, not only in <link rel=alternate>."""
from tests.builders import make_resource, make_user


def test_step_resource_and_profile_pages_show_their_feed(client):
    resource = make_resource("Pathoma", kind="video")
    user = make_user("feed_writer")
    for page, feed in [("/steps/step-1", "/feeds/steps/step-1.atom"),
                       (f"/resources/{resource.slug}", f"/feeds/resources/{resource.slug}.atom"),
                       (f"/u/{user.username}", f"/feeds/users/{user.username}.atom")]:
        response = client.get(page)
        body = response.get_data(as_text=True)
        assert response.status_code == 200, (page, response.status_code)
        assert f'<a href="{feed}" rel="alternate" type="application/atom+xml">Atom feed' in body, page
        assert client.get(feed).status_code == 200, feed
