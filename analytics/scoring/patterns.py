"""Turns token patterns that are just word alternatives into phrase lists (pure).

spaCy's Matcher tries every pattern at every token, and each ``{"IN": [...]}`` is a Python predicate: with
~200 patterns that cost over 1 ms per turn. A pattern made only of word choices (``LOWER`` or ``IN``), optional
or repeated words and an optional punctuation mark is the same as a finite list of phrases, which the phrase
table (``phrase_table.py``) finds for a whole batch at once, whatever their number. Only the rest (wildcards,
caps, numbers, regexes) stays in the Matcher. A condition ``IS_SENT_START`` on the first token is kept as a
check on each match.
"""

from __future__ import annotations

from itertools import product
from typing import Any

# What an optional punctuation token ({"IS_PUNCT": true, "OP": "?"}) stands for in a phrase.
PUNCTUATION_CHOICES = (",", ".", "!", "?", ":", ";", "-", "...")
MAX_PHRASES_PER_PATTERN = 20_000
MAX_REPEAT = 1


def _choices(spec: dict[str, Any]) -> list[tuple[str, ...]] | None:
    """The word sequences one token spec can stand for, or None when it is not a plain word choice."""
    keys = set(spec) - {"OP", "IS_SENT_START"}
    op = spec.get("OP")
    if keys == {"IS_PUNCT"} and spec["IS_PUNCT"] is True and op in (None, "?"):
        return ([()] if op == "?" else []) + [(mark,) for mark in PUNCTUATION_CHOICES]
    if keys not in ({"LOWER"}, {"ORTH"}):
        return None
    value = spec["LOWER"] if "LOWER" in spec else spec["ORTH"]
    if isinstance(value, str):
        words = [value]
    elif isinstance(value, dict) and set(value) == {"IN"} and all(isinstance(word, str) for word in value["IN"]):
        words = list(dict.fromkeys(value["IN"]))
    else:
        return None
    if "ORTH" in spec and any(char.isalpha() for word in words for char in word):
        return None  # case-sensitive words need the Matcher
    singles = [(word,) for word in words]
    if op is None:
        return singles
    if op == "?":
        return [()] + singles
    if op in ("*", "+"):
        sequences: list[tuple[str, ...]] = [] if op == "+" else [()]
        for repeat in range(1, MAX_REPEAT + 1):
            sequences += [sum(combination, ()) for combination in product(singles, repeat=repeat)]
        return sequences
    return None


def as_phrases(pattern: list[dict[str, Any]]) -> tuple[bool | None, list[tuple[str, ...]]] | None:
    """(sentence-start condition of the first token, phrases) or None if the pattern needs the Matcher."""
    if not pattern:
        return None
    if any("IS_SENT_START" in spec for spec in pattern[1:]):
        return None
    per_token = [_choices(spec) for spec in pattern]
    if any(choices is None for choices in per_token):
        return None
    total = 1
    for choices in per_token:
        total *= len(choices)  # type: ignore[arg-type]
    if total > MAX_PHRASES_PER_PATTERN:
        return None
    start_condition = pattern[0].get("IS_SENT_START")
    if start_condition is not None and () in (per_token[0] or []):
        return None  # an optional first token makes "first" ambiguous
    phrases = {sum(combination, ()) for combination in product(*per_token)}  # type: ignore[arg-type]
    phrases.discard(())
    return start_condition, sorted(phrases)


def caps_word_min_length(pattern: list[dict[str, Any]]) -> int | None:
    """For the one-token pattern "an all-caps word of at least N letters", N; it is computed from the Doc's
    arrays instead (the Matcher would test it at every token)."""
    if len(pattern) != 1:
        return None
    spec = pattern[0]
    length = spec.get("LENGTH")
    if set(spec) == {"IS_UPPER", "IS_ALPHA", "LENGTH"} and spec["IS_UPPER"] is True and spec["IS_ALPHA"] is True \
            and isinstance(length, dict) and set(length) == {">="}:
        return int(length[">="])
    return None
