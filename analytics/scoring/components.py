"""spaCy components of the scorer, registered under ``cxqa_`` names.

- ``cxqa_markers``: every strategy, move and cue of ``*_patterns.jsonl``, ``lexicons.yml`` and
  ``combinations.jsonl`` as ``doc._.cxqa_matches`` (label, pattern id, start token, end token) and
  ``doc._.cxqa_label_counts``; with ``spans_key`` set (the default) also as Spans in ``doc.spans``. The
  scoring pipeline turns that off: a Span object per match costs more than all the matching.
- ``cxqa_politeness``: ``doc._.cxqa_politeness`` (P(polite)) and the log-odds each strategy added.
- ``cxqa_complaint``: ``doc._.cxqa_complaint`` (P(complaint), the complaint intensity) and its cues.

Each works on a whole batch at once in ``nlp.pipe`` (``marker_batch.py``); calling one on a single Doc is a
batch of one. Importing this module registers the factories and extensions once.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import numpy as np
from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import minibatch

from analytics.scoring.complaint_model import ComplaintModel
from analytics.scoring.marker_batch import (
    ALPHA_COLUMN,
    LENGTH_COLUMN,
    LOWER_COLUMN,
    PUNCT_COLUMN,
    SENT_START_COLUMN,
    SPEAKER_KEY,
    STATE_KEY,
    UPPER_COLUMN,
    MarkerBatch,
    TurnState,
    batch_of,
    state_of,
    token_columns,
)
from analytics.scoring.marker_rules import AT_SENTENCE_START, NO_CONDITION, MarkerRules
from analytics.scoring.politeness_model import PolitenessModel
from analytics.scoring.sentences import SentenceRule

__all__ = ["SPANS_KEY", "SPEAKER_KEY", "STATE_KEY", "MarkerMatcher", "TurnState", "state_of"]

SPANS_KEY = "cxqa"
# Where a match came from; within a Doc matches keep this order (then the order each source found them in).
PHRASE, TOKEN_PATTERN, CAPS_WORD, COMBINATION = 0, 1, 2, 3


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
    """Matches every pattern and phrase list in one pass over a batch.

    Patterns that are plain word choices are phrases (see ``patterns.py``), found for a whole batch at once by
    ``PhraseTable`` on the tokens' lower-case forms, as spaCy's PhraseMatcher with ``attr="LOWER"`` would
    find them; the rest would run in spaCy's Matcher, Doc by Doc (today there are none). Within one pattern,
    a match inside a longer or earlier overlapping match of the same pattern is dropped.
    """

    def __init__(self, nlp: Language, spans_key: str | None = SPANS_KEY, set_sentences: bool = True) -> None:
        self.spans_key = spans_key
        self.set_sentences = set_sentences
        self.sentence_rule = SentenceRule()
        self.rules = MarkerRules(nlp)

    def __call__(self, doc: Doc) -> Doc:
        self._match([doc])
        return doc

    def pipe(self, docs: Iterable[Doc], batch_size: int = 256) -> Iterator[Doc]:
        for batch in minibatch(docs, batch_size):
            self._match(batch)
            yield from batch

    def _match(self, docs: Sequence[Doc]) -> None:
        columns, offsets = token_columns(docs)
        self._sentences(docs, columns, offsets)
        doc_of = np.repeat(np.arange(len(docs), dtype=np.int64), np.diff(offsets))
        parts = [self._phrase_matches(columns, doc_of)]
        if len(self.rules.matcher):
            parts.append(self._token_pattern_matches(docs, offsets))
        if self.rules.caps_words:
            parts.append(self._caps_matches(columns, doc_of))
        speakers = [doc.user_data.get(SPEAKER_KEY) for doc in docs]
        batch = MarkerBatch(self.rules.labels, self.rules.patterns, speakers, columns, offsets)
        batch.set_matches(*_in_doc_order(parts))
        for label, rule_id, first, then in self.rules.combinations:
            found = self._combine(batch, label, rule_id, first, then)
            if found is not None:
                so_far = (batch.match_docs, batch.match_labels, batch.match_patterns, batch.starts, batch.ends,
                          np.full(len(batch.starts), PHRASE, dtype=np.int64))
                batch.set_matches(*_in_doc_order([so_far, found]))
        for number, doc in enumerate(docs):
            doc.user_data[STATE_KEY] = (batch, number)  # see TurnState
        if self.spans_key:
            for doc in docs:
                doc.spans[self.spans_key] = _spans(doc)

    def _sentences(self, docs: Sequence[Doc], columns: np.ndarray, offsets: np.ndarray) -> None:
        """Sentence starts for the Docs that have none yet (only the first token marked), by the Sentencizer's
        rule, into ``columns`` and, with ``set_sentences``, into the Docs; Docs that come with sentences (from a
        sentencizer, senter or parser before this component) keep theirs."""
        marks = columns[:, SENT_START_COLUMN]
        doc_of = np.repeat(np.arange(len(docs), dtype=np.int64), np.diff(offsets))
        first = np.zeros(len(marks), dtype=bool)
        first[offsets[:-1][offsets[:-1] < offsets[1:]]] = True
        marked = np.bincount(doc_of[(marks != 0) & ~first], minlength=len(docs)) > 0
        unmarked = ~marked[doc_of]
        if not unmarked.any():
            return
        starts = self.sentence_rule.starts(columns[:, LOWER_COLUMN], columns[:, PUNCT_COLUMN] == 1, offsets)
        values = np.where(starts, np.uint64(1), np.uint64(2**64 - 1))  # 1 and -1, as to_array gives them
        marks[unmarked] = values[unmarked]
        if self.set_sentences:
            for number in np.flatnonzero(~marked).tolist():
                low, high = int(offsets[number]), int(offsets[number + 1])
                if high > low:
                    docs[number].from_array([SENT_START], values[low:high])

    def _phrase_matches(self, columns: np.ndarray, doc_of: np.ndarray) -> tuple[np.ndarray, ...]:
        hits = self.rules.table.find(columns[:, LOWER_COLUMN], doc_of)
        keys, starts = hits.keys, hits.starts
        ends = starts + hits.lengths
        conditions = self.rules.key_conditions[keys]
        at_start = columns[starts, SENT_START_COLUMN] == 1
        wanted = (conditions == NO_CONDITION) | (at_start == (conditions == AT_SENTENCE_START))
        keys, starts, ends = keys[wanted], starts[wanted], ends[wanted]
        docs = doc_of[starts]
        order = np.lexsort((ends, starts, self.rules.key_ranks[keys], docs))
        keys, starts, ends, docs = keys[order], starts[order], ends[order], docs[order]
        kept = _without_overlaps(docs, keys, starts, ends)
        keys, starts, ends, docs = keys[kept], starts[kept], ends[kept], docs[kept]
        return (docs, self.rules.key_labels[keys], self.rules.key_patterns[keys], starts, ends,
                np.full(len(keys), PHRASE, dtype=np.int64))

    def _token_pattern_matches(self, docs: Sequence[Doc], offsets: np.ndarray) -> tuple[np.ndarray, ...]:
        keys, matcher = self.rules.matcher_keys, self.rules.matcher
        found = [(number, keys[match_id], start + int(offsets[number]), end + int(offsets[number]))
                 for number, doc in enumerate(docs) for match_id, start, end in matcher(doc)]
        numbers, keys, starts, ends = (np.array(values, dtype=np.int64).reshape(-1) for values in
                                       (zip(*found, strict=True) if found else ([], [], [], [])))
        return (numbers, self.rules.key_labels[keys], self.rules.key_patterns[keys], starts, ends,
                np.full(len(keys), TOKEN_PATTERN, dtype=np.int64))

    def _caps_matches(self, columns: np.ndarray, doc_of: np.ndarray) -> tuple[np.ndarray, ...]:
        upper_words = (columns[:, UPPER_COLUMN] == 1) & (columns[:, ALPHA_COLUMN] == 1)
        positions, labels, patterns = [], [], []
        for label, pattern, minimum in self.rules.caps_words:
            found = np.flatnonzero(upper_words & (columns[:, LENGTH_COLUMN] >= minimum))
            positions.append(found)
            labels.append(np.full(len(found), label, dtype=np.int64))
            patterns.append(np.full(len(found), pattern, dtype=np.int64))
        starts = np.concatenate(positions)
        return (doc_of[starts], np.concatenate(labels), np.concatenate(patterns), starts, starts + 1,
                np.full(len(starts), CAPS_WORD, dtype=np.int64))

    @staticmethod
    def _combine(batch: MarkerBatch, label: int, rule_id: int, first: int, then: int) -> tuple[np.ndarray, ...] | None:
        """From each ``first`` marker to the nearest ``then`` marker after it in its sentence, as new matches."""
        found: list[tuple[int, int, int]] = []
        for number in np.flatnonzero((batch.counts[:, first] > 0) & (batch.counts[:, then] > 0)).tolist():
            low, high = batch.match_offsets[number], batch.match_offsets[number + 1]
            labels = batch.match_labels[low:high].tolist()
            starts, ends = batch.starts[low:high].tolist(), batch.ends[low:high].tolist()
            thens = sorted((start, end) for kind, start, end in zip(labels, starts, ends, strict=True) if kind == then)
            sentence_of = batch.sentence_of
            for kind, start, end in zip(labels, starts, ends, strict=True):
                if kind != first:
                    continue
                for then_start, then_end in thens:
                    if then_start >= end and sentence_of[then_start] == sentence_of[start]:
                        found.append((number, start, then_end))
                        break
        if not found:
            return None
        numbers, starts_, ends_ = (np.array(values, dtype=np.int64) for values in zip(*found, strict=True))
        return (numbers, np.full(len(found), label, dtype=np.int64), np.full(len(found), rule_id, dtype=np.int64),
                starts_, ends_, np.full(len(found), COMBINATION, dtype=np.int64))


def _without_overlaps(docs: np.ndarray, keys: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Which matches to keep, sorted by (Doc, key, start, end): a match that starts before the end of the last
    kept match of the same key in the same Doc is dropped. Only groups with an overlap need the loop."""
    keep = np.ones(len(keys), dtype=bool)
    if len(keys) < 2:
        return keep
    same = (docs[1:] == docs[:-1]) & (keys[1:] == keys[:-1])
    overlapping = np.flatnonzero(same & (starts[1:] < ends[:-1])) + 1
    if not len(overlapping):
        return keep
    group_starts = np.flatnonzero(np.concatenate([[True], ~same]))
    group_ends = np.append(group_starts[1:], len(keys))
    groups = np.unique(np.searchsorted(group_starts, overlapping, side="right") - 1)
    start_list, end_list = starts.tolist(), ends.tolist()
    for group in groups.tolist():
        last_end = -1
        for index in range(int(group_starts[group]), int(group_ends[group])):
            if start_list[index] < last_end:
                keep[index] = False
            else:
                last_end = end_list[index]
    return keep


def _in_doc_order(parts: list[tuple[np.ndarray, ...]]) -> tuple[np.ndarray, ...]:
    """The parts' matches (docs, labels, patterns, starts, ends, source) as one set sorted by Doc, then source,
    then the order within their part."""
    docs, labels, patterns, starts, ends, sources = (np.concatenate(column) for column in zip(*parts, strict=True))
    order = np.lexsort((np.arange(len(docs)), sources, docs))
    return docs[order], labels[order], patterns[order], starts[order], ends[order]


@Language.factory("cxqa_markers", default_config={"spans_key": SPANS_KEY, "set_sentences": True})
def make_markers(nlp: Language, name: str, spans_key: str | None, set_sentences: bool) -> MarkerMatcher:
    return MarkerMatcher(nlp, spans_key, set_sentences)


class _WholeBatches:
    """A component that scores the whole markers batch of the first Doc it sees from that batch. By the time the
    markers component hands on a batch's first Doc it has matched every Doc of the batch, so nothing has to be
    held back and gathered again: Docs pass straight through."""

    def __call__(self, doc: Doc) -> Doc:
        self._ensure(batch_of(doc))
        return doc

    def pipe(self, docs: Iterable[Doc], batch_size: int = 256) -> Iterator[Doc]:
        last = None
        for doc in docs:
            batch = batch_of(doc)
            if batch is not last:
                self._ensure(batch)
                last = batch
            yield doc

    def _ensure(self, batch: MarkerBatch) -> None:
        if id(self) not in batch.scored_by:
            batch.scored_by.add(id(self))
            self._score(batch)

    def _score(self, batch: MarkerBatch) -> None:
        raise NotImplementedError


class PolitenessComponent(_WholeBatches):
    """P(polite) of each Doc not written by a customer."""

    def __init__(self, model: PolitenessModel) -> None:
        self.model = model

    def _score(self, batch: MarkerBatch) -> None:
        rows = np.array([number for number, speaker in enumerate(batch.speakers) if speaker != "customer"],
                        dtype=np.int64)
        if not len(rows):
            return
        bounds = list(zip(batch.offsets[rows].tolist(), batch.offsets[rows + 1].tolist(), strict=True))
        owners, codes = self.model.encoder.codes_by_turn(batch.columns, bounds)
        lexical = self.model.lexical_logits(owners, codes, len(rows))
        probabilities, contributions, lexical_part, contributing = self.model.score_counts(
            batch.counts[rows], lexical, batch.labels)
        batch.politeness[rows] = probabilities
        batch.contributions[rows] = contributions
        batch.lexical[rows] = lexical_part
        batch.contributing = contributing


@Language.factory("cxqa_politeness")
def make_politeness(nlp: Language, name: str) -> PolitenessComponent:
    return PolitenessComponent(PolitenessModel.shared())


class ComplaintComponent(_WholeBatches):
    """P(complaint), the complaint intensity, of each Doc not written by an agent or the bot."""

    def __init__(self, model: ComplaintModel) -> None:
        self.model = model

    def _score(self, batch: MarkerBatch) -> None:
        selected = np.array([speaker not in ("agent", "bot") for speaker in batch.speakers], dtype=bool)
        if not selected.any():
            return
        rows = np.flatnonzero(selected)
        counts = self.model.effective_counts(
            batch.labels, batch.match_docs, batch.match_labels, batch.starts, batch.ends,
            batch.columns[:, LOWER_COLUMN], batch.offsets, selected)
        # The cues a lead reads are those that raised the probability: gratitude or a confirmation lower it
        # and are no complaint cue (they still count in the probability below).
        batch.cue_counts[rows] = self.model.raising_counts(counts[rows], batch.labels)
        batch.complaint[rows] = self.model.probabilities(counts[rows], batch.labels)


@Language.factory("cxqa_complaint")
def make_complaint(nlp: Language, name: str) -> ComplaintComponent:
    return ComplaintComponent(ComplaintModel.shared())
