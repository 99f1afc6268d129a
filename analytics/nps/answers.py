"""Parse a customer's free-text answer to "How likely are you to recommend us? (0-10)".

Pure and dependency-free (no spaCy), so the Rasa action server can use it. The vocabulary lives in
``number_words.yml``. The parser is deliberately strict: when an answer could mean two things ("5 or 6",
"5-6", "4/5", "7.5") it is rejected with a short hint and the bot asks again, rather than guessing a score.

Rules, in the order they decide:

1. nothing but blanks -> ``empty``;
2. no number at all ("good") -> ``no_number``;
3. a fraction ("7.5"; "8.0" is read as 8) -> ``not_whole``;
4. a scale other than 10 ("10/5", "4 out of 5", "80%") -> ``wrong_scale``; "9/10", "10 out of 10",
   "8 of 10" are fine;
5. a number outside 0..10 ("11", "-1", "minus one", "twelve", "11/10") -> ``out_of_range``;
6. two different numbers ("5 or 6", "5-6", "between 7 and 8") -> ``several_numbers``; the same number
   twice ("8, yes 8") is fine; the ambiguous word "one" is ignored when a digit is also present.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

VOCABULARY_PATH = Path(__file__).with_name("number_words.yml")
MIN_SCORE = 0
MAX_SCORE = 10

REJECTION_REASONS = ("empty", "no_number", "not_whole", "wrong_scale", "several_numbers", "out_of_range")


@dataclass(frozen=True, slots=True)
class NpsAnswer:
    """``score`` when the answer is a valid 0-10 score; otherwise ``hint`` (customer-facing) and ``reason``."""

    score: int | None
    hint: str | None = None
    reason: str | None = None

    @property
    def ok(self) -> bool:
        return self.score is not None


@dataclass(frozen=True, slots=True)
class _Vocabulary:
    numbers: dict[str, int]  # score words, out-of-range words and symbols
    ambiguous: frozenset[str]
    negative: frozenset[str]
    percent: frozenset[str]
    scale_phrases: tuple[tuple[str, ...], ...]  # longest first
    hints: dict[str, str]
    token_pattern: re.Pattern[str]


@lru_cache(maxsize=1)
def _vocabulary() -> _Vocabulary:
    raw: dict[str, Any] = yaml.safe_load(VOCABULARY_PATH.read_text(encoding="utf-8"))
    symbols: dict[str, int] = {str(k): int(v) for k, v in (raw.get("score_symbols") or {}).items()}
    numbers = {str(k): int(v) for k, v in raw["score_words"].items()}
    numbers.update({str(k): int(v) for k, v in raw["out_of_range_words"].items()})
    numbers.update(symbols)
    hints = {str(k): str(v) for k, v in raw["hints"].items()}
    missing = set(REJECTION_REASONS) - set(hints)
    if missing:
        raise ValueError(f"{VOCABULARY_PATH}: hints missing for {sorted(missing)}")
    symbol_alternatives = "|".join(re.escape(symbol) for symbol in symbols)
    token_pattern = re.compile(
        r"(?P<number>\d+(?:[.,]\d+)?)"
        r"|(?P<word>[a-z]+(?:['’][a-z]+)*)"
        r"|(?P<mark>[/%\-–—−])"
        + (f"|(?P<symbol>{symbol_alternatives})" if symbol_alternatives else "")
    )
    scale_phrases = tuple(
        sorted((tuple(str(phrase).split()) for phrase in raw["scale_words"]), key=len, reverse=True)
    )
    return _Vocabulary(
        numbers=numbers,
        ambiguous=frozenset(raw.get("ambiguous_words") or ()),
        negative=frozenset(raw.get("negative_words") or ()),
        percent=frozenset(raw.get("percent_words") or ()),
        scale_phrases=scale_phrases,
        hints=hints,
        token_pattern=token_pattern,
    )


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # number | word | mark | symbol
    text: str
    start: int
    end: int


@dataclass(slots=True)
class _Candidate:
    value: float
    from_digits: bool
    word: str | None = None


def _tokens(text: str, vocabulary: _Vocabulary) -> list[_Token]:
    return [
        _Token(match.lastgroup or "", match.group(), match.start(), match.end())
        for match in vocabulary.token_pattern.finditer(text)
    ]


def _number_value(token: _Token, vocabulary: _Vocabulary) -> float | None:
    if token.kind == "number":
        return float(token.text.replace(",", "."))
    if token.kind in ("word", "symbol"):
        value = vocabulary.numbers.get(token.text)
        return None if value is None else float(value)
    return None


def _scale_after(tokens: list[_Token], index: int, vocabulary: _Vocabulary) -> tuple[float, int] | None:
    """If tokens[index:] is "/ 10", "out of 10" or "of 10", return (scale, tokens consumed)."""
    if index < len(tokens) and tokens[index].text == "/":
        if index + 1 < len(tokens):
            value = _number_value(tokens[index + 1], vocabulary)
            if value is not None:
                return value, 2
        return None
    for phrase in vocabulary.scale_phrases:
        end = index + len(phrase)
        if end < len(tokens) and tuple(token.text for token in tokens[index:end]) == phrase:
            value = _number_value(tokens[end], vocabulary)
            if value is not None:
                return value, len(phrase) + 1
    return None


def _reject(reason: str) -> NpsAnswer:
    return NpsAnswer(score=None, hint=_vocabulary().hints[reason], reason=reason)


def parse_nps_answer(text: str) -> NpsAnswer:
    """Read a 0-10 score from a free-text answer, or say (``hint``) why it is not one. See the module rules."""
    vocabulary = _vocabulary()
    normalized = unicodedata.normalize("NFKC", text or "").lower().strip()
    if not normalized:
        return _reject("empty")
    tokens = _tokens(normalized, vocabulary)

    candidates: list[_Candidate] = []
    wrong_scale = False
    index = 0
    while index < len(tokens):
        token = tokens[index]
        value = _number_value(token, vocabulary)
        if value is None:
            index += 1
            continue
        previous = tokens[index - 1] if index > 0 else None
        before_previous = tokens[index - 2] if index > 1 else None
        negative = previous is not None and (
            previous.text in vocabulary.negative
            # "-1" is negative; the dash in "5-6" or "5 - 6" joins a range instead.
            or (previous.kind == "mark" and previous.text != "/" and previous.text != "%"
                and previous.end == token.start
                and (before_previous is None or _number_value(before_previous, vocabulary) is None))
        )
        candidates.append(_Candidate(-value if negative else value, token.kind == "number", token.text))
        index += 1
        scale = _scale_after(tokens, index, vocabulary)
        if scale is not None:
            scale_value, consumed = scale
            wrong_scale = wrong_scale or scale_value != MAX_SCORE
            index += consumed
        elif index < len(tokens) and (tokens[index].text == "%" or tokens[index].text in vocabulary.percent):
            wrong_scale = True
            index += 1

    if any(candidate.from_digits for candidate in candidates):
        candidates = [c for c in candidates if c.from_digits or c.word not in vocabulary.ambiguous]
    if not candidates:
        return _reject("no_number")
    if any(candidate.value != int(candidate.value) for candidate in candidates):
        return _reject("not_whole")
    if wrong_scale:
        return _reject("wrong_scale")
    values = {int(candidate.value) for candidate in candidates}
    if any(not MIN_SCORE <= value <= MAX_SCORE for value in values):
        return _reject("out_of_range")
    if len(values) > 1:
        return _reject("several_numbers")
    return NpsAnswer(score=values.pop())
