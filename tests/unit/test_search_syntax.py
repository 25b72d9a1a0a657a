"""forum.search_syntax: the search language (words, "phrases", -exclusions, OR) and what it compiles to.

tests/web/test_search.py runs the language against both databases; these pin the parser and the compilers alone.
"""
import pytest

from forum.search_syntax import MAX_QUERY_CHARS, MAX_TERMS, ParsedQuery, fts5_match, parse, tokens, tsquery


def required(text: str) -> list[list[tuple[str, ...]]]:
    return parse(text).required


# Terms

def test_terms_are_runs_of_letters_and_digits():
    assert tokens("NBME-30: 231!") == ("nbme", "30", "231")


def test_an_underscore_separates_terms():
    assert tokens("first_aid") == ("first", "aid")


def test_terms_are_case_folded_not_only_lowercased():
    assert tokens("Straße") == ("strasse",)


def test_letters_of_any_script_are_terms():
    assert tokens("Ärztin 医学") == ("ärztin", "医学")


# Words and phrases

def test_every_word_is_required():
    assert parse("ck uworld") == ParsedQuery(required=[[("ck",)], [("uworld",)]], excluded=[])


def test_two_letter_words_are_ordinary_terms():
    assert required("CK FA") == [[("ck",)], [("fa",)]]


def test_a_quoted_phrase_is_one_term():
    assert required('"first aid" step') == [[("first", "aid")], [("step",)]]


def test_an_unclosed_quote_runs_to_the_end():
    assert required('"first aid') == [[("first", "aid")]]


def test_a_word_with_punctuation_inside_is_a_phrase_of_its_parts():
    assert required("step-1") == [[("step", "1")]]


# Exclusions

def test_a_minus_excludes_a_word():
    assert parse("pathoma -amboss") == ParsedQuery(required=[[("pathoma",)]], excluded=[("amboss",)])


def test_a_minus_excludes_even_a_one_character_word():
    assert parse("nbme -3") == ParsedQuery(required=[[("nbme",)]], excluded=[("3",)])


def test_a_minus_excludes_a_quoted_phrase():
    assert parse('step -"first aid"').excluded == [("first", "aid")]


def test_several_minuses_exclude_once():
    assert parse("--amboss") == ParsedQuery(required=[], excluded=[("amboss",)])


def test_a_lone_minus_is_nothing():
    assert parse("ck - uworld") == ParsedQuery(required=[[("ck",)], [("uworld",)]], excluded=[])


def test_a_minus_inside_a_word_does_not_exclude():
    assert parse("step-1").excluded == []


# OR

def test_or_binds_its_neighbours_into_one_group():
    assert required("ck uworld OR amboss") == [[("ck",)], [("uworld",), ("amboss",)]]


def test_or_chains_into_one_group():
    assert required("uworld OR amboss OR nbme") == [[("uworld",), ("amboss",), ("nbme",)]]


def test_or_between_phrases_groups_the_phrases():
    assert required('"first aid" OR pathoma') == [[("first", "aid"), ("pathoma",)]]


def test_lowercase_or_is_an_ordinary_word():
    assert required("uworld or amboss") == [[("uworld",)], [("or",)], [("amboss",)]]


def test_or_with_nothing_before_it_is_ignored():
    assert required("OR ck") == [[("ck",)]]


def test_or_with_nothing_after_it_is_ignored():
    assert required("ck OR") == [[("ck",)]]


def test_or_next_to_an_exclusion_joins_nothing():
    assert parse("ck OR -amboss uworld") == ParsedQuery(required=[[("ck",)], [("uworld",)]], excluded=[("amboss",)])


def test_or_binds_only_the_next_term():
    assert required("uworld OR amboss nbme") == [[("uworld",), ("amboss",)], [("nbme",)]]


# No query, and bounds

@pytest.mark.parametrize("text", ["", None, "   ", '!!! "" -- ...', "OR", "- OR -", "_"])
def test_text_without_letters_or_digits_is_no_query(text):
    assert parse(text).empty


def test_a_query_with_only_exclusions_is_not_empty():
    assert not parse("-amboss").empty


def test_only_the_first_twelve_terms_count():
    words = [f"w{i}" for i in range(MAX_TERMS + 3)]
    assert required(" ".join(words)) == [[(word,)] for word in words[:MAX_TERMS]]


def test_exclusions_count_toward_the_twelve_terms():
    query = parse(" ".join(f"-x{i}" for i in range(MAX_TERMS - 1)) + " kept dropped")
    assert (len(query.excluded), query.required) == (MAX_TERMS - 1, [[("kept",)]])


def test_or_keywords_do_not_count_as_terms():
    words = [f"w{i}" for i in range(MAX_TERMS)]
    query = parse(" OR ".join(words))
    assert query.required == [[(word,) for word in words]]


def test_only_the_first_500_characters_are_read():
    text = "x" * (MAX_QUERY_CHARS - 2) + " yz"  # the 500th character is the y
    assert required(text) == [[("x" * (MAX_QUERY_CHARS - 2),)], [("y",)]]


def test_positive_tokens_are_the_required_tokens_in_order_without_exclusions():
    assert parse('"first aid" uworld OR amboss -nbme').positive_tokens == ["first", "aid", "uworld", "amboss"]


# SQLite FTS5

def test_fts5_quotes_each_word():
    assert fts5_match([[("ck",)]]) == '"ck"'


def test_fts5_keeps_a_phrase_in_one_pair_of_quotes():
    assert fts5_match([[("first", "aid")]]) == '"first aid"'


def test_fts5_joins_groups_with_and_and_brackets_alternatives():
    assert fts5_match(required('ck uworld OR "first aid"')) == '"ck" AND ("uworld" OR "first aid")'


def test_fts5_of_no_groups_is_empty():
    assert fts5_match([]) == ""


# PostgreSQL tsquery

def test_tsquery_quotes_each_word():
    assert tsquery([[("ck",)]]) == "(('ck'))"


def test_tsquery_links_the_words_of_a_phrase_as_neighbours():
    assert tsquery([[("first", "aid")]]) == "(('first' <-> 'aid'))"


def test_tsquery_joins_groups_with_and_and_alternatives_with_or():
    assert tsquery(required('ck uworld OR "first aid"')) == "(('ck')) & (('uworld') | ('first' <-> 'aid'))"


def test_tsquery_of_no_groups_is_empty():
    assert tsquery([]) == ""
