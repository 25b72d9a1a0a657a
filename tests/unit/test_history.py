"""forum.history.diff: what an edit changed, read from two snapshots (no database needed)."""
from forum import history


def version(**fields) -> dict:
    base = {"title": "Passed CK", "body": "One.\nTwo.", "step": "step2ck", "exam_month": "2025-06", "attempt": 1,
            "outcome": "passed", "score": 240, "prep_weeks": 8, "background": "img",
            "resources": [{"name": "AMBOSS", "rating": 3, "note": "", "in_catalogue": True},
                          {"name": "Zebra Notes", "rating": None, "note": "", "in_catalogue": False}],
            "practice": [{"assessment": "NBME Form 11", "scale": "three_digit", "score": 231.0,
                          "taken_on": "2025-05-02"}]}
    return {**base, **fields}


def test_identical_versions_have_no_changes():
    assert history.diff(version(), version()).empty


def test_a_field_reads_old_to_new_with_its_label():
    assert [str(c) for c in history.diff(version(), version(score=262)).fields] == ["Score: 240 → 262"]


def test_an_emptied_field_says_not_given():
    assert [str(c) for c in history.diff(version(), version(prep_weeks=None)).fields] == \
        ["Dedicated prep: 8 weeks → not given"]


def test_a_resource_is_the_same_however_its_name_is_typed():
    renamed = version(resources=[{"name": "amboss", "rating": 3, "note": "", "in_catalogue": True},
                                 {"name": "Zebra Notes", "rating": None, "note": "", "in_catalogue": False}])
    assert history.diff(version(), renamed).resources == []


def test_resources_in_a_new_order_say_so():
    older = version()
    newer = version(resources=list(reversed(older["resources"])))
    assert history.diff(older, newer).resources == ["Resources reordered"]


def test_a_typed_resource_adopted_by_the_catalogue_says_so():
    adopted = version(resources=[version()["resources"][0],
                                 {"name": "Zebra Notes", "rating": None, "note": "", "in_catalogue": True}])
    assert history.diff(version(), adopted).resources == ["Zebra Notes is now in our catalogue as Zebra Notes"]


def test_the_same_form_twice_on_one_day_pairs_in_order():
    row = version()["practice"][0]
    older = version(practice=[row, {**row, "score": 240.0}])
    newer = version(practice=[row, {**row, "score": 245.0}, {**row, "score": 250.0}])
    assert history.diff(older, newer).practice == ["NBME Form 11, 02 May 2025: 240 → 245",
                                                   "Added practice score: NBME Form 11, 02 May 2025: 250"]


def test_a_percent_score_reads_as_a_percent():
    row = {"assessment": "Free 120", "scale": "percent", "score": 68.0, "taken_on": "2025-05-02"}
    assert history.diff(version(practice=[]), version(practice=[row])).practice == \
        ["Added practice score: Free 120, 02 May 2025: 68%"]


def test_long_unchanged_runs_of_text_are_folded_around_the_change():
    older = "\n".join(f"line {n}" for n in range(1, 21))
    newer = older.replace("line 10", "line ten")
    rows = [(row.kind, row.text) for row in history.line_diff(older, newer)]
    assert rows == [("folded", "7 unchanged lines"), ("same", "line 8"), ("same", "line 9"),
                    ("removed", "line 10"), ("added", "line ten"),
                    ("same", "line 11"), ("same", "line 12"), ("folded", "8 unchanged lines")]


def test_a_legacy_version_is_compared_on_title_and_text_only():
    legacy = {"title": "Old title", "body": "One.\nTwo."}
    changes = history.diff(legacy, version())
    assert changes.unrecorded
    assert [str(c) for c in changes.fields] == ["Title: Old title → Passed CK"]
    assert changes.resources == [] and changes.practice == [] and changes.body == []


def test_comment_versions_are_complete():
    assert not history.diff({"body": "a"}, {"body": "b"}).unrecorded
