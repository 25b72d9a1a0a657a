"""Every story-form field, given hostile values, answers with a field error or a saved story: never a 500."""
import pytest

from tests.builders import make_resource, make_user, post_form, sign_in
from tests.web.test_bad_input import HOSTILE
from tests.web.test_stories import story_data

FIELDS = ["title", "step", "exam_month", "attempt", "outcome", "score", "background", "prep_weeks", "body",
          "resources-0-name", "resources-0-rating", "resources-0-note",
          "practice-0-assessment", "practice-0-score", "practice-0-taken_on", "submission_key"]


@pytest.mark.parametrize("kind", HOSTILE)
@pytest.mark.parametrize("field", FIELDS)
def test_story_fields_survive_hostile_values(app, field, kind):
    assessment = make_resource("NBME CCSSA Form 11", kind="self-assessment", steps=["step2ck"], scale="three_digit")
    client = app.test_client()
    sign_in(client, make_user(created_at=__import__("datetime").datetime(2024, 1, 1)))
    data = story_data(**{"practice-0-assessment": str(assessment.id), "practice-0-score": "231",
                         "practice-0-taken_on": "2025-05-02", field: HOSTILE[kind]})
    response = post_form(client, "/stories/new", data)
    assert response.status_code in (302, 400), response.status_code
    if response.status_code == 400 and kind in ("nul", "huge") and field != "submission_key":
        assert "error" in response.get_data(as_text=True)


def test_too_many_rows_are_refused_not_crashed(client):
    sign_in(client, make_user())
    data = story_data(**{f"resources-{n}-name": f"Resource {n}" for n in range(60)})
    assert post_form(client, "/stories/new", data).status_code in (302, 400)
