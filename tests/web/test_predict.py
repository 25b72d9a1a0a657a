"""/predict, "People like me": a GET form whose answer is read off constructed stories with a known answer, whose
similar stories come nearest first, whose bad input is a 400 with the field's error, and whose work is one query
for the neighbours and none at all for a question asked again."""
import html
import pickle
import re
from datetime import date, timedelta
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa

from forum import caching
from forum.extensions import db
from forum.insights import data, neighbours, people_like_me, predict, stats
from forum.models import PracticeScore, Story, utcnow
from tests.builders import QueryCounter, make_resource, make_story, make_user, sign_in

LAST_YEAR = utcnow().year - 1
EXAM = date(LAST_YEAR, 6, 1)
TAKEN = date(LAST_YEAR, 5, 1)


def practice(story, resource, score, taken_on=TAKEN, scale="three_digit"):
    db.session.add(PracticeScore(story_id=story.id, resource_id=resource.id, score=score, taken_on=taken_on,
                                 scale=scale))
    db.session.commit()


def predict_url(step="step2ck", rows=(), **extra) -> str:
    args = {"step": step, **extra}
    for n, (form, score, *taken) in enumerate(rows):
        args.update({f"practice-{n}-form": form, f"practice-{n}-score": score,
                     f"practice-{n}-taken": taken[0] if taken else ""})
    return "/predict?" + urlencode(args)


def text_of(response) -> str:
    """The page's words, tags removed and spaces collapsed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


def story_links(response) -> list[str]:
    """The titles of the similar stories, in the order listed."""
    section = response.get_data(as_text=True).split('id="similar"', 1)[1]
    return re.findall(r'<h3><a href="/stories/\d+-[^"]*">([^<]+)</a></h3>', section)


@pytest.fixture
def forms(app):
    return {
        "ccssa": make_resource("NBME CCSSA 13", slug="nbme-ccssa-13", kind="self-assessment", steps=("step2ck",),
                               scale="three_digit"),
        "uwsa": make_resource("UWSA 2", slug="uwsa-2-step-2-ck", kind="self-assessment", steps=("step2ck",),
                              scale="three_digit"),
        "free": make_resource("Free 120", slug="free-120-step-2-ck", kind="self-assessment", steps=("step2ck",),
                              scale="percent"),
        "cbssa": make_resource("NBME CBSSA 30", slug="nbme-cbssa-30", kind="self-assessment", steps=("step1",),
                               scale="percent"),
    }


@pytest.fixture
def calibrated(forms):
    """20 Step 2 CK stories whose CCSSA 13 score x and real score y = x + 10 ± 1 (alternating): 240 predicts 250."""
    author = make_user("ck_writer", background="img")
    for i in range(20):
        x = 220 + 2 * i
        story = make_story(author, title=f"CK story {i}", step="step2ck", exam_month=EXAM,
                           score=x + 10 + (1 if i % 2 else -1))
        practice(story, forms["ccssa"], x)
    return forms


# --- (a) the prediction ---------------------------------------------------------------------------------------

def test_a_score_is_read_off_the_line_with_its_range_and_n(client, calibrated):
    response = client.get(predict_url(rows=[("nbme-ccssa-13", "240")]))
    assert response.status_code == 200
    words = text_of(response)
    predicted, low, high = map(int, re.search(r"Predicted Step 2 CK score: (\d+) \(95% range (\d+)–(\d+)\)",
                                              words).groups())
    assert predicted == 250 and low < 250 < high and high - low < 10
    assert "NBME CCSSA 13 240 250" in words and " 20 " in words.split("NBME CCSSA 13 240 250", 1)[1][:30]
    assert predict.SCORE_METHOD in words


def test_the_measured_error_of_the_same_method_is_shown(client, calibrated):
    words = text_of(client.get(predict_url(rows=[("nbme-ccssa-13", "240")])))
    match = re.search(r"Checked on (\d+) stories by leaving each out: the real score was on average ([\d.]+) points "
                      r"off, and inside the range for (\d+)%", words)
    assert match and int(match.group(1)) == 20 and float(match.group(2)) < 2


def test_the_range_is_placed_against_the_passing_standard_of_the_planned_month(client, calibrated):
    month = f"{utcnow().year + 1}-03"
    words = text_of(client.get(predict_url(rows=[("nbme-ccssa-13", "208")], month=month)))
    assert f"passing standard for an exam in March {utcnow().year + 1} is 218" in words
    assert "the range reaches below it" in words
    words = text_of(client.get(predict_url(rows=[("nbme-ccssa-13", "200")], month=month)))
    assert "the whole range is below it" in words
    words = text_of(client.get(predict_url(rows=[("nbme-ccssa-13", "250")], month=month)))
    assert "the whole range is above it" in words


def test_a_form_without_a_line_is_named_and_no_number_comes_from_it(client, calibrated):
    words = text_of(client.get(predict_url(rows=[("uwsa-2-step-2-ck", "240")])))
    assert "None of the self-assessments you gave has a line yet" in words
    assert "Predicted Step 2 CK score" not in words
    assert "Not used: UWSA 2 (no line yet" in words


def step1_band(forms, *, stories: int, passed: int):
    """Pass/fail Step 1 stories whose last CBSSA was 62% (an earlier one 48%): `passed` of them passed."""
    author = make_user("s1_writer", background="img")
    for i in range(stories):
        story = make_story(author, title=f"Step 1 story {i}", step="step1", exam_month=EXAM, score=None,
                           outcome="passed" if i < passed else "failed")
        practice(story, forms["cbssa"], 48, TAKEN - timedelta(days=30), scale="percent")
        practice(story, forms["cbssa"], 62, TAKEN, scale="percent")


def test_step1_gives_the_pass_rate_of_the_band_with_its_wilson_interval(client, forms):
    step1_band(forms, stories=12, passed=9)
    words = text_of(client.get(predict_url("step1", rows=[("nbme-cbssa-30", "63")])))
    low, high = stats.wilson(9, 12)
    band = data.band_of(63)[2]  # the band 62 and 63 share (60–69%), not 48's
    assert (f"Of 12 stories whose last NBME was {band}, 9 passed: 75% (95% CI {100 * low:.0f}–{100 * high:.0f}%)"
            in words)
    assert predict.PASS_METHOD in words


def test_step1_under_ten_stories_says_so_and_gives_no_rate(client, forms):
    step1_band(forms, stories=9, passed=7)
    words = text_of(client.get(predict_url("step1", rows=[("nbme-cbssa-30", "63")])))
    band = data.band_of(63)[2]
    assert f"9 stories had a last NBME at {band}: fewer than 10 stories, too few for a pass rate" in words
    assert "passed:" not in words and "95% CI" not in words and "78%" not in words


# --- (b) the similar stories ----------------------------------------------------------------------------------

@pytest.fixture
def neighbourhood(forms):
    img, md = make_user("img_writer", background="img"), make_user("md_writer", background="us_md")
    now = utcnow()
    stories = {
        "nearest": make_story(md, title="Nearest, US MD", exam_month=EXAM, created_at=now - timedelta(days=9)),
        "img": make_story(img, title="Three off, IMG", exam_month=EXAM, created_at=now - timedelta(days=5),
                          outcome="failed", score=205),
        "md": make_story(md, title="Three off, US MD, newer", exam_month=EXAM, created_at=now - timedelta(days=1)),
        "retook": make_story(img, title="Retook it", exam_month=EXAM, created_at=now - timedelta(days=2)),
        "other form": make_story(img, title="Other form only", exam_month=EXAM),
        "removed": make_story(img, title="Removed story", exam_month=EXAM, status="removed"),
        "step 3": make_story(img, title="A Step 3 story", step="step3", exam_month=EXAM),
    }
    for key, score in (("nearest", 240), ("img", 243), ("md", 243), ("removed", 240), ("step 3", 240)):
        practice(stories[key], forms["ccssa"], score)
    practice(stories["retook"], forms["ccssa"], 200, TAKEN - timedelta(days=40))  # only the latest counts: 242
    practice(stories["retook"], forms["ccssa"], 242, TAKEN)
    practice(stories["other form"], forms["uwsa"], 240)
    return stories


def test_similar_stories_come_nearest_first_and_the_background_breaks_a_tie(client, neighbourhood):
    mine = [("nbme-ccssa-13", "240")]
    assert story_links(client.get(predict_url(rows=mine, background="img"))) == [
        "Nearest, US MD", "Retook it", "Three off, IMG", "Three off, US MD, newer"]
    assert story_links(client.get(predict_url(rows=mine))) == [
        "Nearest, US MD", "Retook it", "Three off, US MD, newer", "Three off, IMG"]


def test_each_similar_story_links_to_it_with_its_outcome_and_the_scores_side_by_side(client, neighbourhood):
    response = client.get(predict_url(rows=[("nbme-ccssa-13", "240")]))
    story = neighbourhood["img"]
    page = response.get_data(as_text=True)
    assert f'<a href="/stories/{story.id}-{story.slug}">Three off, IMG</a>' in page
    words = text_of(response).split("Three off, IMG", 1)[1].strip()
    assert words.startswith(f"Failed · 205 · June {LAST_YEAR} · IMG")
    assert "Self-assessment Theirs Yours NBME CCSSA 13 243 240" in words


def test_similar_stories_take_one_query_whatever_their_number(app, neighbourhood, forms):
    entries = [predict.Entry(slug="nbme-ccssa-13", scale="three_digit", score=240.0)]
    with QueryCounter() as counter:
        found = neighbours.similar_stories("step2ck", "img", entries)
    assert counter.count == 1 and len(found) == 4
    assert found[0].shared == (neighbours.Shared("NBME CCSSA 13", 240.0, 240.0, "three_digit"),)
    assert found[0].distance == 0 and found[1].distance == pytest.approx(0.2)
    assert found[1].shared == (neighbours.Shared("NBME CCSSA 13", 242.0, 240.0, "three_digit"),)


def test_the_page_costs_the_same_queries_for_two_and_for_eight_similar_stories(client, forms, page_queries):
    author = make_user(background="img")
    url = predict_url(rows=[("nbme-ccssa-13", "240"), ("uwsa-2-step-2-ck", "245")])

    def add(n):
        for _ in range(n):
            story = make_story(author, exam_month=EXAM)
            practice(story, forms["ccssa"], 238)
            practice(story, forms["uwsa"], 250)

    add(2)
    two = page_queries(url)
    add(6)
    eight = page_queries(url)
    assert len(story_links(client.get(url))) == 8
    assert two == eight


# --- (c) counts, caveat, link ----------------------------------------------------------------------------------

def test_the_page_gives_n_the_caveat_and_a_link_holding_the_question(client, calibrated):
    response = client.get("/predict?" + urlencode({
        "step": "step2ck", "junk": "1", "practice-7-form": "nbme-ccssa-13", "practice-7-score": " 240 ",
        "practice-7-taken": f"{LAST_YEAR}-05-01", "practice-2-form": "", "practice-2-score": ""}))
    words = text_of(response)
    assert "From 20 published Step 2 CK stories" in words
    assert ("Self-reported by the people who chose to write these stories; people who passed write more often than "
            "people who failed.") in words
    link = re.search(r'<a href="([^"]+)">Link to this prediction</a>', response.get_data(as_text=True)).group(1)
    assert html.unescape(link) == ("/predict?step=step2ck&practice-0-form=nbme-ccssa-13&practice-0-score=240"
                                   f"&practice-0-taken={LAST_YEAR}-05-01")


def test_without_scores_the_page_explains_itself(client, forms):
    response = client.get("/predict")
    assert response.status_code == 200
    assert "How it works" in text_of(response) and "Predicted" not in text_of(response)


@pytest.mark.parametrize(("filled", "shown"), [(0, 3), (2, 5), (19, 20), (20, 20)])
def test_the_rows_given_come_back_with_three_empty_ones_up_to_twenty(client, forms, filled, shown):
    page = client.get(predict_url(rows=[("nbme-ccssa-13", "240")] * filled)).get_data(as_text=True)
    assert len(re.findall(r'<select id="practice-\d+-form"', page)) == shown


def test_more_than_twenty_scores_is_a_400_with_a_message(client, forms):
    response = client.get(predict_url(rows=[("nbme-ccssa-13", "240")] * 21))
    assert response.status_code == 400
    assert "At most 20 practice scores can be given" in text_of(response)


# --- the verified switch ---------------------------------------------------------------------------------------

def test_the_verified_switch_shows_only_where_verified_stories_exist_and_filters(client, calibrated):
    url = predict_url(rows=[("nbme-ccssa-13", "240")])
    assert 'name="verified"' not in client.get(url).get_data(as_text=True)
    for story in db.session.scalars(sa.select(Story).where(Story.title.in_(["CK story 0", "CK story 19"]))):
        story.verified_at = utcnow()
    db.session.commit()
    assert "Verified outcomes only (2 stories)" in text_of(client.get(url))
    response = client.get(url + "&verified=1")
    assert sorted(story_links(response)) == ["CK story 0", "CK story 19"]
    assert "From 2 published Step 2 CK stories with a verified outcome" in text_of(response)


# --- bad input -------------------------------------------------------------------------------------------------

BAD = [
    ({"step": "zzz"}, "step", "Choose Step 1, Step 2 CK or Step 3"),
    ({"step": "step2cs"}, "step", "Step 2 CS had no self-assessments"),
    ({"background": "martian"}, "background", "Choose US MD, US DO, IMG, Other or any background."),
    ({"verified": "yes"}, "verified", "Tick the box or leave it empty."),
    ({"month": "2026-13"}, "month", "Enter the month as year-month, like 2026-06."),
    ({"month": "June"}, "month", "Enter the month as year-month, like 2026-06."),
    ({"month": "1980-01"}, "month", "Choose a month from 1993-01 to"),
    ({"month": "0000-01"}, "month", "Enter the month as year-month, like 2026-06."),
    ({"practice-0-form": "nbme-ccssa-13", "practice-0-score": "abc"}, "practice-0-score",
     "Enter the score as a number, like 231 or 72.5."),
    ({"practice-0-form": "nbme-ccssa-13", "practice-0-score": "350"}, "practice-0-score",
     "A 3-digit score runs from 1 to 300."),
    ({"practice-0-form": "nbme-ccssa-13", "practice-0-score": "240.5"}, "practice-0-score",
     "Enter a 3-digit score as a whole number"),
    ({"practice-0-form": "free-120-step-2-ck", "practice-0-score": "231"}, "practice-0-score",
     "Free 120 reports a percent correct: enter it like 68."),
    ({"practice-0-form": "nbme-ccssa-13", "practice-0-score": "9" * 10_000}, "practice-0-score",
     "Enter the score as a number, like 231."),
    ({"practice-0-form": "nbme-cbssa-30", "practice-0-score": "62"}, "practice-0-form",
     "NBME CBSSA 30 is a Step 1 self-assessment; choose one for Step 2 CK."),
    ({"practice-0-form": "no-such-form", "practice-0-score": "240"}, "practice-0-form",
     "Choose a self-assessment from the list."),
    ({"practice-0-score": "240"}, "practice-0-form", "Choose the self-assessment this score is from."),
    ({"practice-0-form": "nbme-ccssa-13"}, "practice-0-score", "Enter the score."),
    ({"practice-0-taken": "2025-05-01"}, "practice-0-form", "Choose the self-assessment this score is from."),
    ({"practice-0-form": "nbme-ccssa-13", "practice-0-score": "240", "practice-0-taken": "2025-02-30"},
     "practice-0-taken", "Enter the date as year-month-day, like 2025-05-14."),
    ({"practice-0-form": "nbme-ccssa-13", "practice-0-score": "240", "practice-0-taken": "2999-01-01"},
     "practice-0-taken", "That day is still to come"),
    ({"practice-99999-form": "nbme-ccssa-13", "practice-99999-score": "abc"}, "practice-0-score",
     "Enter the score as a number"),
]


@pytest.mark.parametrize(("args", "field", "message"), BAD, ids=[f"{f}-{i}" for i, (_, f, _) in enumerate(BAD)])
def test_bad_input_is_a_400_with_the_error_next_to_its_field(client, forms, args, field, message):
    response = client.get("/predict?" + urlencode({"step": "step2ck", **args}))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    error = re.search(rf'<p class="error" id="{field}-error">([^<]*)</p>', page)
    assert error and message in html.unescape(error.group(1)), (error and error.group(1))
    assert re.search(rf'id="{field}"[^>]*aria-describedby="{field}-error"', page)
    assert "Fix the fields marked below" in page


HOSTILE = ["", "   ", "x" * 10_000, "abc\x00def", "\u202eمرحبا", "🩺📚" * 5, "-1", "1e999", "nan", "0", "../../x",
           "<script>alert(1)</script>", "2026-06-01T00:00", "٣", "0000-01", "0000-01-01", "9999-12-31"]
FIELDS = ["step", "background", "month", "verified", "practice-0-form", "practice-0-score", "practice-0-taken",
          "practice-99999-form", "practice-٣-form", "mine-not", "practice-0-form-extra"]


def test_hostile_values_never_make_a_500(client, forms):
    # Every field with every value, in one test: 187 requests against one set of forms (a fixture per case cost
    # minutes of the suite on PostgreSQL and told nothing more).
    wrong = []
    for field in FIELDS:
        for value in HOSTILE:
            args = {"step": "step2ck", "practice-0-form": "nbme-ccssa-13", "practice-0-score": "240", field: value}
            response = client.get("/predict?" + urlencode(args))
            if response.status_code not in (200, 400) or "<script>alert(1)</script>" in response.get_data(as_text=True):
                wrong.append((field, value[:20], response.status_code))
    assert wrong == []


# --- fill in from my story -------------------------------------------------------------------------------------

@pytest.fixture
def own_story(calibrated):
    writer = make_user("prefiller", background="us_do", created_at=utcnow() - timedelta(days=400))
    story = make_story(writer, title="My CK story", exam_month=EXAM)
    practice(story, calibrated["uwsa"], 238, TAKEN - timedelta(days=20))
    practice(story, calibrated["ccssa"], 241, TAKEN)
    return story


def test_a_member_fills_the_form_in_from_their_own_story(client, own_story):
    sign_in(client, own_story.author)
    page = client.get("/predict").get_data(as_text=True)
    assert '<label for="mine">Fill in from my story</label>' in page
    assert f'<option value="{own_story.id}">My CK story (Step 2 CK, June {LAST_YEAR})</option>' in page
    response = client.get(f"/predict?mine={own_story.id}")
    assert response.status_code == 303
    assert response.headers["Location"] == (
        f"/predict?step=step2ck&background=us_do&month={LAST_YEAR}-06"
        f"&practice-0-form=uwsa-2-step-2-ck&practice-0-score=238&practice-0-taken={TAKEN - timedelta(days=20)}"
        f"&practice-1-form=nbme-ccssa-13&practice-1-score=241&practice-1-taken={TAKEN}")
    assert "Predicted Step 2 CK score: 251" in text_of(client.get(response.headers["Location"]))


def test_someone_elses_story_or_none_is_a_404_and_nothing_is_said_about_it(client, own_story):
    sign_in(client, make_user("someone_else"))
    assert client.get(f"/predict?mine={own_story.id}").status_code == 404
    for junk in ("abc", "", "99999", "1" * 40, "٣"):
        assert client.get("/predict?" + urlencode({"mine": junk})).status_code == 404


def test_a_visitor_gets_no_fill_in_and_a_404_for_mine(client, own_story):
    assert 'name="mine"' not in client.get("/predict").get_data(as_text=True)
    assert client.get(f"/predict?mine={own_story.id}").status_code == 404


def test_a_removed_story_of_ones_own_cannot_fill_the_form_in(client, own_story):
    sign_in(client, own_story.author)
    own_story.status = "removed"
    db.session.commit()
    assert client.get(f"/predict?mine={own_story.id}").status_code == 404
    assert 'name="mine"' not in client.get("/predict").get_data(as_text=True)


# --- memoised --------------------------------------------------------------------------------------------------

def test_a_question_asked_again_runs_no_prediction_queries_until_a_story_changes(client, calibrated):
    url = predict_url(rows=[("nbme-ccssa-13", "240")])
    unpublished = make_story(make_user(), exam_month=EXAM, score=260, status="deleted")
    practice(unpublished, calibrated["ccssa"], 250)
    client.get(url)
    with QueryCounter() as counter:
        assert client.get(url).status_code == 200
    assert not [s for s in counter.statements if "practice_scores" in s or "FROM stories" in s], counter.statements
    unpublished.status = "published"  # a story coming back changes the insights, and this write says only that
    caching.retire(caching.INSIGHTS)
    db.session.commit()
    with QueryCounter() as counter:
        assert client.get(url).status_code == 200
    assert [s for s in counter.statements if "practice_scores" in s]


def test_the_answer_pickles_for_the_cache(app, calibrated):
    entries = [predict.Entry(slug="nbme-ccssa-13", scale="three_digit", score=240, taken_on=TAKEN)]
    answer = people_like_me.answer("step2ck", "img", None, entries)
    assert pickle.loads(pickle.dumps(answer)) == answer
    assert answer.entries == (predict.Entry(slug="nbme-ccssa-13", scale="three_digit", score=240.0, taken_on=TAKEN),)
    assert round(answer.score_range.predicted) == 250 and answer.measured.n == 20 and answer.stories == 20
    assert answer.verified_stories == 0 and len(answer.neighbours) == 10
