"""Writers' ratings of a resource on the catalogue and the resource page, the catalogue's filter, and aliases."""
import sqlalchemy as sa

from forum.extensions import db
from forum.insights.stats import t_quantile
from forum.models import StoryResource
from forum.resources import ratings
from tests.builders import make_resource, make_story, make_user


def rate(resource, values, *, outcome="passed", author=None, **fields):
    """One published story per rating, each rating `resource`."""
    author = author or make_user()
    for n, value in enumerate(values):
        story = make_story(author, title=f"{outcome} {resource.slug} {n}", resources=[resource], outcome=outcome,
                           **fields)
        db.session.execute(sa.update(StoryResource).where(StoryResource.story_id == story.id).values(rating=value))
    db.session.commit()


def test_a_mean_needs_ten_ratings_and_carries_its_t_interval():
    assert ratings.mean(9, 9 * 4, 9 * 16) == ratings.Mean(9)
    assert ratings.Mean(9).label == "9 ratings, fewer than 10"
    ten = ratings.mean(10, 5 * 4 + 5 * 5, 5 * 16 + 5 * 25)  # five 4s and five 5s: s = 0.527
    half = t_quantile(0.975, 9) * (10 * 0.25 / 9) ** 0.5 / 10 ** 0.5
    assert (ten.value, round(ten.low, 6), round(ten.high, 6)) == (4.5, round(4.5 - half, 6), round(4.5 + half, 6))
    assert ten.label == "4.5 of 5 (95% CI 4.1–4.9), 10 ratings"
    spread = ratings.mean(10, 5 * 1 + 5 * 5, 5 * 1 + 5 * 25)  # ones and fives: the interval stays on the scale
    assert ratings.RATING_MIN <= spread.low and spread.high <= ratings.RATING_MAX


def test_catalogue_and_resource_page_show_the_mean_and_the_split_by_outcome(client):
    uworld = make_resource("UWorld")
    author = make_user()
    rate(uworld, [5] * 6 + [4] * 6, author=author)
    rate(uworld, [2, 3, 2], outcome="failed", author=author)
    rate(uworld, [1] * 5, author=author, status="deleted")  # deleted stories never count
    make_story(author, title="Unrated", resources=[uworld])  # no rating: not a rating of 0
    overall = ratings.mean(15, 6 * 5 + 6 * 4 + 7, 6 * 25 + 6 * 16 + 17).label
    assert overall.endswith("15 ratings")
    catalogue = client.get("/resources").get_data(as_text=True)
    assert f"Writers’ rating: {overall}</p>" in catalogue
    assert "Passed: 4.5 (95% CI 4.2–4.8, n=12); failed: 3 ratings, fewer than 10</p>" in catalogue
    page = client.get(f"/resources/{uworld.slug}").get_data(as_text=True)
    assert f"All writers: {overall}" in page
    assert "Those who passed: 4.5 of 5 (95% CI 4.2–4.8), 12 ratings" in page
    assert "Those who failed: 3 ratings, fewer than 10" in page


def test_an_unrated_resource_says_so(client):
    make_resource("Pathoma", kind="video")
    assert "Writers’ rating: no ratings yet" in client.get("/resources").get_data(as_text=True)


def test_catalogue_queries_do_not_grow_with_the_resources(page_queries):
    author = make_user()
    for n in range(2):
        rate(make_resource(f"Bank {n}"), [4, 5], author=author)
    few = page_queries("/resources")
    for n in range(2, 12):
        rate(make_resource(f"Bank {n}", kind="book"), [3, 4], author=author)
    assert page_queries("/resources") == few


def test_catalogue_filters_by_step_and_kind(client):
    make_resource("Step One Bank", steps=("step1",))
    make_resource("Step Two Bank", steps=("step2ck",))
    make_resource("Step One Book", kind="book", steps=("step1",))
    response = client.get("/resources?step=step1&kind=qbank")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<title>Step 1 question banks" in page and "<h1>Step 1 question banks</h1>" in page
    assert "Step One Bank" in page and "Step Two Bank" not in page and "Step One Book" not in page
    assert '<option value="step1" selected>' in page and '<option value="qbank" selected>' in page
    kind_only = client.get("/resources?kind=book").get_data(as_text=True)
    assert "<h1>Books</h1>" in kind_only and "Step One Book" in kind_only and "Step One Bank" not in kind_only


def test_an_unknown_filter_value_is_a_400_that_says_why(client):
    make_resource("Step One Bank")
    for query, message in [("step=step9", "There is no step called “step9”"),
                           ("kind=%3Cscript%3E", "There is no kind of resource called “&lt;script&gt;”")]:
        response = client.get(f"/resources?{query}")
        page = response.get_data(as_text=True)
        assert response.status_code == 400, query
        assert message in page and "Step One Bank" in page, query


def test_resource_page_names_its_aliases(client):
    resource = make_resource("UWorld Step 1", slug="uworld-step-1", aliases=("UW", "U World"))
    page = client.get(f"/resources/{resource.slug}").get_data(as_text=True)
    assert "Also called: uw, uworld</p>" in page
