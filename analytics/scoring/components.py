"""spaCy components of the scorer, registered under ``cxqa_`` names.

- ``cxqa_markers``: every strategy, move and cue of ``*_patterns.jsonl``, ``lexicons.yml`` and
  ``combinations.jsonl`` as ``doc._.cxqa_matches`` (label, pattern id, start token, end token) and
  ``doc._.cxqa_label_counts``; with ``spans_key`` set (the default) also as Spans in ``doc.spans``. The
  scoring pipeline turns that off: a Span object per match costs more than all the matching.
- ``cxqa_politeness``: ``doc._.cxqa_politeness`` (P(polite)) and the log-odds each strategy added.
- ``cxqa_complaint``: ``doc._.cxqa_complaint`` (P(complaint), the complaint intensity) and its cues.

Importing this module registers the factories and extensions once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from itertools import accumulate

import numpy as np
from spacy.attrs import IS_ALPHA, IS_UPPER, LENGTH, SENT_START
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import minibatch

from analytics.scoring import lexical, resources
from analytics.scoring.complaint_model import ComplaintModel
from analytics.scoring.patterns import as_phrases, caps_word_min_length
from analytics.scoring.politeness_model import PolitenessModel

SPANS_KEY = "cxqa"
Match = tuple[str, str, int, int]  # label, pattern id, start token, end token (positions in the Doc)

STATE_KEY = "cxqa"
# A Doc may say who wrote it (``doc.user_data[SPEAKER_KEY]``: customer, agent or bot); then only the
# dimension that applies is computed: politeness for agents and the bot, complaint for customers.
SPEAKER_KEY = "cxqa_speaker"
# It may also carry the text it was made from (``doc.user_data[TEXT_KEY]``), which spares rebuilding
# ``doc.text`` from the tokens.
TEXT_KEY = "cxqa_text"

# Token attributes read in one ``to_array`` call when a component needs them: the lexical encoder's.
COLUMNS = lexical.ATTRIBUTES
SENT_START_COLUMN = COLUMNS.index(SENT_START)
CAPS_COLUMNS = (IS_UPPER, IS_ALPHA, LENGTH)


class TurnState:
    """What the components found in one Doc (one turn), kept in ``doc.user_data[STATE_KEY]``; the ``doc._.cxqa_*``
    extensions below are getters over it. The token attributes are read from the Doc once, when first asked
    for (after the sentencizer); most customer turns never need them."""

    __slots__ = ("doc", "speaker", "matches", "label_counts", "politeness", "politeness_contributions", "complaint",
                 "complaint_cues", "_columns", "_sentence_ids")

    def __init__(self, doc: Doc) -> None:
        self.doc = doc
        self.speaker: str | None = doc.user_data.get(SPEAKER_KEY)
        self.matches: list[Match] = []
        self.label_counts: dict[str, int] = {}
        self.politeness: float | None = None  # P(polite) in [0, 1]
        self.politeness_contributions: dict[str, float] = {}  # label -> log-odds it added
        self.complaint: float | None = None  # P(complaint) in [0, 1]
        self.complaint_cues: dict[str, int] = {}  # label -> effective count
        self._columns: np.ndarray | None = None
        self._sentence_ids: list[int] | None = None

    @property
    def columns(self) -> np.ndarray:
        """One row per token: ``COLUMNS``."""
        if self._columns is None:
            self._columns = (self.doc.to_array(list(COLUMNS)) if len(self.doc)
                             else np.zeros((0, len(COLUMNS)), dtype=np.uint64))
        return self._columns

    @property
    def sentence_ids(self) -> list[int]:
        """The sentence number of each token."""
        if self._sentence_ids is None:
            starts = self.columns[:, SENT_START_COLUMN].tolist()
            self._sentence_ids = list(accumulate(1 if value == 1 else 0 for value in starts))
        return self._sentence_ids


def state_of(doc: Doc) -> TurnState:
    state = doc.user_data.get(STATE_KEY)
    if state is None:
        state = doc.user_data[STATE_KEY] = TurnState(doc)
    return state


def _getter(name: str):
    return lambda doc: getattr(state_of(doc), name)


for _name in ("matches", "label_counts", "sentence_ids", "politeness", "politeness_contributions", "complaint",
              "complaint_cues"):
    if not Doc.has_extension(f"cxqa_{_name}"):
        Doc.set_extension(f"cxqa_{_name}", getter=_getter(_name))


def _strategies(doc: Doc) -> dict[str, int]:
    counts = state_of(doc).label_counts
    return {label: counts[label] for label in PolitenessModel.shared().strategy_labels if counts.get(label)}


def _spans(doc: Doc) -> list[Span]:
    return [Span(doc, start, end, label=label, span_id=pattern) for label, pattern, start, end in
            state_of(doc).matches]


if not Doc.has_extension("cxqa_strategies"):
    Doc.set_extension("cxqa_strategies", getter=_strategies)
if not Doc.has_extension("cxqa_spans"):
    Doc.set_extension("cxqa_spans", getter=_spans)  # the matches as Spans, built when asked for
if not Span.has_extension("cxqa_is_question"):
    Span.set_extension("cxqa_is_question", getter=lambda span: span.sent.text.rstrip().endswith("?"))


class MarkerMatcher:
    """Matches every pattern and phrase list in one pass.

    Patterns that are plain word choices run as phrases in the PhraseMatcher (see ``patterns.py``), the rest
    in the Matcher. Within one pattern, a match inside a longer match of the same pattern is dropped.
    """

    def __init__(self, nlp: Language, spans_key: str | None = SPANS_KEY) -> None:
        self.spans_key = spans_key
        self.matcher = Matcher(nlp.vocab, validate=True)
        self.phrase_matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        # match key -> (label, pattern id, required sentence start of the first token or None)
        self._keys: dict[int, tuple[str, str, bool | None]] = {}
        self.caps_words: list[tuple[str, str, int]] = []  # (label, pattern id, minimum length)
        token_patterns: dict[str, list[list[dict]]] = {}
        phrases: dict[str, set[tuple[str, ...]]] = {}
        for entry in resources.load_patterns():
            label, pattern_id, pattern = entry["label"], entry["id"], entry["pattern"]
            minimum = caps_word_min_length(pattern)
            if minimum is not None:
                self.caps_words.append((label, pattern_id, minimum))
                continue
            converted = as_phrases(pattern)
            if converted is None:
                key = f"{label}/{pattern_id}/matcher"
                token_patterns.setdefault(key, []).append(pattern)
                self._keys[nlp.vocab.strings.add(key)] = (label, pattern_id, None)
            else:
                condition, words = converted
                key = f"{label}/{pattern_id}/{condition}"
                phrases.setdefault(key, set()).update(words)
                self._keys[nlp.vocab.strings.add(key)] = (label, pattern_id, condition)
        for key, patterns in token_patterns.items():
            self.matcher.add(key, patterns, greedy="LONGEST")
        for key, word_lists in phrases.items():
            self.phrase_matcher.add(key, [Doc(nlp.vocab, words=list(words)) for words in sorted(word_lists)])
        for label, lexicon in resources.load_lexicons().items():
            key = f"{label}/lexicon/None"
            self.phrase_matcher.add(key, list(nlp.tokenizer.pipe(lexicon)))
            self._keys[nlp.vocab.strings.add(key)] = (label, "lexicon", None)
        self.combinations = [(rule["label"], rule["id"], rule["first"], rule["then"])
                             for rule in resources.load_combinations()]
        shortest = min((minimum for _, _, minimum in self.caps_words), default=1)
        self._caps_run = re.compile(f"[A-Z]{{{max(shortest, 1)}}}")

    def __call__(self, doc: Doc) -> Doc:
        keys = self._keys
        state = state_of(doc)
        matches, counts = state.matches, state.label_counts
        last_key, last_end = -1, -1
        # Sorted by (key, start, end): an overlapping later match of the same pattern is the same marker.
        for match_id, start, end in sorted(self.phrase_matcher(doc)):
            if match_id == last_key and start < last_end:
                continue
            label, pattern_id, condition = keys[match_id]
            if condition is not None and (doc[start].is_sent_start is True) != condition:
                continue
            last_key, last_end = match_id, end
            matches.append((label, pattern_id, start, end))
            counts[label] = counts.get(label, 0) + 1
        if len(self.matcher):
            for match_id, start, end in self.matcher(doc):
                label, pattern_id, _ = keys[match_id]
                matches.append((label, pattern_id, start, end))
                counts[label] = counts.get(label, 0) + 1
        if self.caps_words and self._may_have_caps(doc.user_data.get(TEXT_KEY) or doc.text):
            rows = doc.to_array(list(CAPS_COLUMNS))
            upper_words = (rows[:, 0] == 1) & (rows[:, 1] == 1)
            for label, pattern_id, minimum in self.caps_words:
                for index in np.flatnonzero(upper_words & (rows[:, 2] >= minimum)).tolist():
                    matches.append((label, pattern_id, index, index + 1))
                    counts[label] = counts.get(label, 0) + 1
        for label, rule_id, first, then in self.combinations:
            if counts.get(first) and counts.get(then):
                for combined in self._combine(matches, state.sentence_ids, first, then):
                    matches.append((label, rule_id, *combined))
                    counts[label] = counts.get(label, 0) + 1
        if self.spans_key:
            doc.spans[self.spans_key] = _spans(doc)
        return doc

    def _may_have_caps(self, text: str) -> bool:
        """False only when no token can be an all-caps word of the shortest caps length: an ASCII text without
        that many capitals in a row (a cheap test that spares reading the token arrays of most turns)."""
        return not text.isascii() or self._caps_run.search(text) is not None

    @staticmethod
    def _combine(matches: list[Match], sentence_ids: list[int], first: str, then: str) -> list[tuple[int, int]]:
        """(start, end) from each ``first`` marker to the nearest ``then`` marker after it in its sentence."""
        found = []
        thens = sorted((start, end) for label, _, start, end in matches if label == then)
        for label, _, start, end in matches:
            if label != first:
                continue
            for then_start, then_end in thens:
                if then_start >= end and sentence_ids[then_start] == sentence_ids[start]:
                    found.append((start, then_end))
                    break
        return found


@Language.factory("cxqa_markers", default_config={"spans_key": SPANS_KEY})
def make_markers(nlp: Language, name: str, spans_key: str | None) -> MarkerMatcher:
    return MarkerMatcher(nlp, spans_key)


class PolitenessComponent:
    """P(polite) of each Doc not written by a customer. In ``pipe`` the lexical n-grams of a whole batch are
    computed at once with numpy."""

    def __init__(self, model: PolitenessModel) -> None:
        self.model = model

    def __call__(self, doc: Doc) -> Doc:
        self._score([state_of(doc)])
        return doc

    def pipe(self, docs: Iterable[Doc], batch_size: int = 256) -> Iterator[Doc]:
        for batch in minibatch(docs, batch_size):
            self._score([state_of(doc) for doc in batch])
            yield from batch

    def _score(self, states: list[TurnState]) -> None:
        states = [state for state in states if state.speaker != "customer"]
        if not states:
            return
        bounds, position = [], 0
        for state in states:
            bounds.append((position, position + len(state.doc)))
            position += len(state.doc)
        columns = np.concatenate([state.columns for state in states])
        owners, codes = self.model.encoder.codes_by_turn(columns, bounds)
        lexical = self.model.lexical_logits(owners, codes, len(states)).tolist()
        for state, turn_lexical in zip(states, lexical, strict=True):
            state.politeness, state.politeness_contributions = self.model.score(state.label_counts, turn_lexical)


@Language.factory("cxqa_politeness")
def make_politeness(nlp: Language, name: str) -> PolitenessComponent:
    return PolitenessComponent(PolitenessModel.shared())


class ComplaintComponent:
    """P(complaint), the complaint intensity, of each Doc not written by an agent or the bot."""

    def __init__(self, model: ComplaintModel) -> None:
        self.model = model

    def __call__(self, doc: Doc) -> Doc:
        state = state_of(doc)
        if state.speaker in ("agent", "bot"):
            return doc
        state.complaint, state.complaint_cues = self.model.score_matches(doc, state.matches)
        return doc


@Language.factory("cxqa_complaint")
def make_complaint(nlp: Language, name: str) -> ComplaintComponent:
    return ComplaintComponent(ComplaintModel.shared())
