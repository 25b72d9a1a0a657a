"""The search language, parsed once and compiled for each backend.

Words, "quoted phrases", -exclusions and OR (which binds tighter than the implicit AND, as on the web:
`ck uworld OR amboss` means ck AND (uworld OR amboss)). Terms are tokenised the way both indexes tokenise
(runs of letters and digits, case-folded), so any input at all — unbalanced quotes, FTS operators, 10 KB of
emoji — becomes a well-formed query or no query, never a syntax error. Two-letter terms (CK, CS, FA, UW, DO,
IM) are ordinary terms: neither index drops them (PostgreSQL uses the 'simple' configuration, no stop words).
"""
import re
from dataclasses import dataclass, field

TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
MAX_TERMS = 12  # a longer query is a paste, not a question; the rest is ignored
MAX_QUERY_CHARS = 500


@dataclass
class ParsedQuery:
    required: list[list[tuple[str, ...]]] = field(default_factory=list)  # AND of OR-groups of phrases
    excluded: list[tuple[str, ...]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.required and not self.excluded

    @property
    def positive_tokens(self) -> list[str]:
        return [token for group in self.required for phrase in group for token in phrase]


def tokens(text: str) -> tuple[str, ...]:
    return tuple(match.casefold() for match in TOKEN.findall(text))


def parse(text: str) -> ParsedQuery:
    text = (text or "")[:MAX_QUERY_CHARS]
    items: list[tuple[bool, tuple[str, ...]] | str] = []
    for match in re.finditer(r'(-?)"([^"]*)"?|(\S+)', text):
        negated, phrase, word = match.group(1), match.group(2), match.group(3)
        if word is not None:
            if word == "OR":
                items.append("OR")
                continue
            negated, phrase = word.startswith("-") and len(word) > 1, word.lstrip("-") if word.startswith("-") else word
        terms = tokens(phrase or "")
        if terms:
            items.append((bool(negated), terms))
    query = ParsedQuery()
    pending_or = False
    count = 0
    for item in items:
        if item == "OR":
            pending_or = bool(query.required)
            continue
        negated, terms = item
        count += 1
        if count > MAX_TERMS:
            break
        if negated:
            query.excluded.append(terms)
        elif pending_or:
            query.required[-1].append(terms)
        else:
            query.required.append([terms])
        pending_or = False
    return query


def _fts5_phrase(phrase: tuple[str, ...]) -> str:
    return '"' + " ".join(phrase) + '"'  # tokens hold only letters and digits: nothing to escape


def fts5_match(groups: list[list[tuple[str, ...]]]) -> str:
    """FTS5 MATCH text for an AND of OR-groups."""
    parts = []
    for group in groups:
        inner = " OR ".join(_fts5_phrase(p) for p in group)
        parts.append(f"({inner})" if len(group) > 1 else inner)
    return " AND ".join(parts)


def _ts_phrase(phrase: tuple[str, ...]) -> str:
    return " <-> ".join(f"'{token}'" for token in phrase)


def tsquery(groups: list[list[tuple[str, ...]]]) -> str:
    """to_tsquery('simple', ...) text for an AND of OR-groups."""
    parts = []
    for group in groups:
        inner = " | ".join(f"({_ts_phrase(p)})" for p in group)
        parts.append(f"({inner})")
    return " & ".join(parts)
