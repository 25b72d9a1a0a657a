"""forum.ranking: the hot score (log10 of the votes plus age in 12.5-hour units) and the Top windows."""
from datetime import datetime, timedelta

import pytest

from forum.ranking import HOT_EPOCH, TOP_WINDOWS, hot, top_since

HALF_DAY = timedelta(hours=12.5)  # HOT_WINDOW_SECONDS


# The hot score

def test_a_story_posted_at_the_epoch_without_votes_scores_zero():
    assert hot(0, HOT_EPOCH) == 0.0


def test_ten_votes_score_one():
    assert hot(10, HOT_EPOCH) == 1.0


def test_tenfold_votes_add_one():
    assert hot(100, HOT_EPOCH) - hot(10, HOT_EPOCH) == 1.0


def test_twelve_and_a_half_hours_of_age_are_worth_tenfold_votes():
    assert hot(1, HOT_EPOCH + HALF_DAY) == hot(10, HOT_EPOCH) == 1.0


def test_a_story_from_before_the_epoch_has_a_negative_age_term():
    assert hot(0, HOT_EPOCH - HALF_DAY) == -1.0


@pytest.mark.parametrize("votes", [-1, 0, 1])
def test_one_vote_either_way_scores_the_same_as_none(votes):
    assert hot(votes, HOT_EPOCH) == 0.0


def test_down_votes_count_against_a_story_as_much_as_up_votes_for_it():
    assert hot(-10, HOT_EPOCH) == -1.0


def test_a_newer_story_wins_a_tie_on_votes():
    assert hot(5, HOT_EPOCH + timedelta(seconds=1)) > hot(5, HOT_EPOCH)


def test_the_score_is_rounded_to_seven_decimal_places():
    assert hot(3, HOT_EPOCH + timedelta(seconds=1)) == 0.4771435  # log10(3) + 1/45000 = 0.47714347...


# Top windows

NOW = datetime(2025, 8, 15, 12, 0)


@pytest.mark.parametrize(("window", "since"), [
    ("day", datetime(2025, 8, 14, 12, 0)),
    ("week", datetime(2025, 8, 8, 12, 0)),
    ("month", datetime(2025, 7, 16, 12, 0)),  # 30 days, not a calendar month
    ("year", datetime(2024, 8, 15, 12, 0)),  # 365 days, with no 29 February in between
])
def test_a_top_window_reaches_back_from_now(window, since):
    assert top_since(window, NOW) == since


def test_the_all_time_window_has_no_start():
    assert top_since("all", NOW) is None


def test_the_top_windows_are_day_week_month_year_and_all_time():
    assert list(TOP_WINDOWS) == ["day", "week", "month", "year", "all"]
