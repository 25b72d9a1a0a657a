"""The practice rows offer the assessments of the step the writer chose (forum/static/js/practice.js)."""
import pytest

pytestmark = pytest.mark.e2e


def hidden_groups(page) -> list[str]:
    return page.locator("#practice-0-assessment optgroup").evaluate_all(
        "groups => groups.filter(g => g.hidden).map(g => g.label)")


def test_choosing_a_step_hides_the_other_steps_assessments(signed_in_page):
    page = signed_in_page
    page.goto("/stories/new")
    assert hidden_groups(page) == []  # no step yet: every group
    page.get_by_label("Step", exact=True).select_option("step1")
    assert hidden_groups(page) == ["Step 2 CK", "Step 3"]
    page.get_by_label("Step", exact=True).select_option("step2ck")
    assert hidden_groups(page) == ["Step 1", "Step 3"]
    assert page.problems == []


def test_a_choice_for_two_steps_stays_chosen_when_the_step_changes(signed_in_page):
    page = signed_in_page
    page.goto("/stories/new")
    page.get_by_label("Step", exact=True).select_option("step2ck")
    page.locator("#practice-0-assessment").evaluate(  # the copy the writer sees: the one in the Step 2 CK group
        "select => { for (const option of select.querySelectorAll('optgroup[label=\"Step 2 CK\"] option')) {"
        " if (option.text === 'AMBOSS Self-Assessment') { option.selected = true; } } }")
    page.get_by_label("Step", exact=True).select_option("step1")
    chosen = page.locator("#practice-0-assessment").evaluate(
        "select => { const option = select.options[select.selectedIndex];"
        " return [option.text, option.parentElement.label]; }")
    assert chosen == ["AMBOSS Self-Assessment", "Step 1"]
