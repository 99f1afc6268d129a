"""What the ``cxqa_*`` components find in a batch of Docs, held as numpy arrays (one row per token, match or
turn), and each Doc's view of it.

The markers component reads the tokens of a whole batch into one array and matches every pattern at once
(``phrase_table.py``); the politeness and complaint components then score all the batch's turns together.
A Doc keeps a ``TurnState`` in ``doc.user_data``: its number in the batch and the batch. The state never
refers to the Doc, so no reference cycle keeps a Doc alive.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from spacy.attrs import IDX, IS_ALPHA, IS_UPPER, LENGTH
from spacy.tokens import Doc

from analytics.scoring import lexical

# Token attributes read in one ``to_array`` call per Doc: the lexical encoder's first (it reads them by
# position), then what offsets and all-caps words need.
COLUMNS = (*lexical.ATTRIBUTES, IDX, LENGTH, IS_UPPER, IS_ALPHA)
LOWER_COLUMN, PUNCT_COLUMN, SENT_START_COLUMN = 0, 1, 3
IDX_COLUMN, LENGTH_COLUMN, UPPER_COLUMN, ALPHA_COLUMN = 4, 5, 6, 7

Match = tuple[str, str, int, int]  # label, pattern id, start token, end token (positions in the Doc)

STATE_KEY = "cxqa"
# A Doc may say who wrote it (``doc.user_data[SPEAKER_KEY]``: customer, agent or bot); then only the
# dimension that applies is computed: politeness for agents and the bot, complaint for customers.
SPEAKER_KEY = "cxqa_speaker"


def token_columns(docs: Sequence[Doc]) -> tuple[np.ndarray, np.ndarray]:
    """The ``COLUMNS`` of every token of ``docs`` in one array, and where each Doc's rows start (and end)."""
    lengths = [len(doc) for doc in docs]
    offsets = np.zeros(len(docs) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum(lengths)
    arrays = [doc.to_array(COLUMNS) for doc, length in zip(docs, lengths, strict=True) if length]
    columns = np.concatenate(arrays) if arrays else np.zeros((0, len(COLUMNS)), dtype=np.uint64)
    return columns, offsets


class MarkerBatch:
    """The tokens and matches of a batch of Docs.

    Matches are sorted by Doc, then in the order the markers component found them; ``starts``/``ends`` are
    token positions in the batch (subtract ``offsets[doc]`` for positions in the Doc). The politeness and
    complaint components fill in their per-turn arrays (NaN where not computed).
    """

    def __init__(self, labels: tuple[str, ...], patterns: tuple[str, ...], speakers: list[str | None],
                 columns: np.ndarray, offsets: np.ndarray) -> None:
        self.labels = labels
        self.patterns = patterns
        self.speakers = speakers
        self.columns = columns
        self.offsets = offsets
        size = len(speakers)
        starts_sentence = columns[:, SENT_START_COLUMN] == 1
        starts_sentence[offsets[:-1][offsets[:-1] < offsets[1:]]] = True  # a Doc's first token opens one
        self.sentence_of = np.cumsum(starts_sentence) - 1  # numbered across the batch
        self.sentence_starts = np.append(np.flatnonzero(starts_sentence), len(columns))
        empty = np.zeros(0, dtype=np.int64)
        self.set_matches(empty, empty, empty, empty, empty)
        self.politeness = np.full(size, np.nan)
        self.lexical = np.zeros(size)
        self.contributions = np.zeros((size, len(labels)))  # log-odds each present label added
        self.contributing = np.zeros(len(labels), dtype=bool)  # labels the politeness model reads
        self.complaint = np.full(size, np.nan)
        self.cue_counts = np.zeros((size, len(labels)), dtype=np.int64)  # the complaint model's counts
        self.scored_by: set[int] = set()  # the components that have scored this batch (by id)

    def set_matches(self, docs: np.ndarray, labels: np.ndarray, patterns: np.ndarray, starts: np.ndarray,
                    ends: np.ndarray) -> None:
        """The matches, sorted by Doc (label and pattern as numbers into ``labels`` and ``patterns``)."""
        self.match_docs, self.match_labels, self.match_patterns = docs, labels, patterns
        self.starts, self.ends = starts, ends
        size, width = len(self.speakers), len(self.labels)
        self.match_offsets = np.searchsorted(docs, np.arange(size + 1))
        self.counts = np.bincount(docs * width + labels, minlength=size * width).reshape(size, width)

    def __len__(self) -> int:
        return len(self.speakers)

    def doc_matches(self, number: int) -> list[Match]:
        low, high = self.match_offsets[number], self.match_offsets[number + 1]
        base = int(self.offsets[number])
        labels, patterns = self.labels, self.patterns
        return [(labels[label], patterns[pattern], start - base, end - base) for label, pattern, start, end in
                zip(self.match_labels[low:high].tolist(), self.match_patterns[low:high].tolist(),
                    self.starts[low:high].tolist(), self.ends[low:high].tolist(), strict=True)]

    def row_dict(self, matrix: np.ndarray, number: int) -> dict[str, int]:
        row = matrix[number]
        return {self.labels[index]: int(row[index]) for index in np.flatnonzero(row).tolist()}

    def sentence_bounds(self, position: int) -> tuple[int, int]:
        """The batch positions of the sentence holding the token at batch position ``position``."""
        sentence = int(self.sentence_of[position])
        return int(self.sentence_starts[sentence]), int(self.sentence_starts[sentence + 1])


class TurnState:
    """One Doc's view of its batch; the ``doc._.cxqa_*`` extensions read it. The Doc itself keeps only
    ``(batch, number)`` in ``doc.user_data[STATE_KEY]`` (a tuple is made in a fraction of an object's time, and
    the scorer never needs the view)."""

    __slots__ = ("batch", "number")

    def __init__(self, batch: MarkerBatch, number: int) -> None:
        self.batch = batch
        self.number = number

    @property
    def speaker(self) -> str | None:
        return self.batch.speakers[self.number]

    @property
    def matches(self) -> list[Match]:
        return self.batch.doc_matches(self.number)

    @property
    def label_counts(self) -> dict[str, int]:
        return self.batch.row_dict(self.batch.counts, self.number)

    @property
    def sentence_ids(self) -> list[int]:
        """The sentence number of each token (numbers are shared with the rest of the batch)."""
        batch = self.batch
        return batch.sentence_of[batch.offsets[self.number]:batch.offsets[self.number + 1]].tolist()

    @property
    def politeness(self) -> float | None:
        value = float(self.batch.politeness[self.number])
        return None if value != value else value  # NaN: not computed for this speaker

    @property
    def politeness_contributions(self) -> dict[str, float]:
        if self.politeness is None:
            return {}
        batch, number = self.batch, self.number
        row = batch.contributions[number]
        present = (batch.counts[number] > 0) & batch.contributing
        contributions = {batch.labels[index]: float(row[index]) for index in np.flatnonzero(present).tolist()}
        contributions["lexical"] = float(batch.lexical[number])
        return contributions

    @property
    def complaint(self) -> float | None:
        value = float(self.batch.complaint[self.number])
        return None if value != value else value

    @property
    def complaint_cues(self) -> dict[str, int]:
        return self.batch.row_dict(self.batch.cue_counts, self.number)


def state_of(doc: Doc) -> TurnState:
    state = doc.user_data.get(STATE_KEY)
    if state is None:
        raise ValueError("this Doc has not been through the cxqa_markers component (add it before the other "
                         "cxqa components, e.g. with analytics.scoring.pipeline.build_pipeline)")
    return TurnState(*state)


def batch_of(doc: Doc) -> MarkerBatch:
    state = doc.user_data.get(STATE_KEY)
    return state_of(doc).batch if state is None else state[0]
