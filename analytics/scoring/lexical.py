"""The politeness model's lexical component: n-grams over a closed, domain-general vocabulary.

Each token becomes its lower-case form when that form is in ``data/vocabulary.yml`` (function words,
courtesy, hedges, praise, reproach, a few punctuation marks), else a placeholder: ``_w_`` (any other word),
``_n_`` (a number) or ``_p_`` (other punctuation). Sentences are framed by ``<s>`` and ``</s>``, so
"<s> could you _w_" is one trigram. Topic words never reach the model, which keeps it portable from
Wikipedia talk pages to support chats.

Everything is computed with numpy over a whole Doc at once, for any number of turns (token ranges) in it:
each n-gram is packed into one integer code, and an n-gram never spans two turns.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from spacy.attrs import IS_PUNCT, LIKE_NUM, LOWER, SENT_START
from spacy.strings import hash_string
from spacy.tokens import Doc

WORD, NUMBER, PUNCT, START, END = "_w_", "_n_", "_p_", "<s>", "</s>"
SPECIALS = (WORD, NUMBER, PUNCT, START, END)
MAX_ORDER = 3
# The token attributes the encoder reads, in this order (``TokenColumns`` holds them as arrays).
ATTRIBUTES = (LOWER, IS_PUNCT, LIKE_NUM, SENT_START)


class NgramEncoder:
    """Turns token ranges of a Doc into the unique integer codes of their uni-, bi- and trigrams."""

    def __init__(self, vocabulary: Sequence[str]) -> None:
        self.symbols: tuple[str, ...] = tuple(vocabulary) + SPECIALS
        self.index = {symbol: position for position, symbol in enumerate(self.symbols)}
        self.base = len(self.symbols) + 1  # 0 is kept for "no token", so codes of different orders never clash
        self.stride = self.base ** MAX_ORDER  # above every code: (turn, code) pairs pack into one int64
        # Ids are stored +1 so that 0 means "no token" in the packed n-gram codes.
        hashes = np.array([hash_string(word) for word in vocabulary], dtype=np.uint64)
        order = np.argsort(hashes)
        self._hashes = hashes[order]
        self._hash_ids = (order + 1).astype(np.int64)
        self._word, self._number, self._punct, self._start, self._end = (
            self.index[symbol] + 1 for symbol in (WORD, NUMBER, PUNCT, START, END))

    def token_ids(self, columns: np.ndarray) -> np.ndarray:
        """Vocabulary ids (+1) of tokens, from rows of ``ATTRIBUTES`` (``doc.to_array(ATTRIBUTES)``)."""
        fallback = np.where(columns[:, 2] == 1, self._number, np.where(columns[:, 1] == 1, self._punct, self._word))
        if not len(self._hashes):
            return fallback.astype(np.int64)
        lower = columns[:, 0]
        position = np.minimum(np.searchsorted(self._hashes, lower), len(self._hashes) - 1)
        return np.where(self._hashes[position] == lower, self._hash_ids[position], fallback).astype(np.int64)

    def codes_by_turn(self, columns: np.ndarray, bounds: Sequence[tuple[int, int]]) -> tuple[np.ndarray, np.ndarray]:
        """(turn number, code) of every distinct n-gram of each token range ``bounds[number]``.

        A range is one turn: framed ``<s> ... </s>``, with ``</s> <s>`` before every later sentence start.
        """
        if not bounds:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        starts = np.fromiter((start for start, _ in bounds), dtype=np.int64, count=len(bounds))
        ends = np.fromiter((end for _, end in bounds), dtype=np.int64, count=len(bounds))
        lengths = ends - starts
        total = int(lengths.sum())
        sequence, owners = self._framed(columns, starts, lengths, total)
        empty = np.flatnonzero(lengths == 0)
        if len(empty):  # an empty turn is "<s> </s>"
            sequence = np.concatenate([sequence, np.tile([self._start, self._end], len(empty))])
            owners = np.concatenate([owners, np.repeat(empty, 2)])
        base = self.base
        same2 = owners[:-1] == owners[1:]
        bigrams = sequence[:-1] * base + sequence[1:]
        same3 = same2[:-1] & same2[1:]
        trigrams = bigrams[:-1] * base + sequence[2:]
        codes = np.concatenate([sequence, bigrams[same2], trigrams[same3]])
        numbers = np.concatenate([owners, owners[:-1][same2], owners[:-2][same3]])
        keys = np.unique(numbers * self.stride + codes)
        return keys // self.stride, keys % self.stride

    def _framed(self, columns: np.ndarray, starts: np.ndarray, lengths: np.ndarray,
                total: int) -> tuple[np.ndarray, np.ndarray]:
        """The ranges' tokens in order with their sentence frames, and the range number of each element."""
        if not total:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        offsets = np.cumsum(lengths) - lengths
        turn_of = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)
        positions = np.arange(total, dtype=np.int64) + np.repeat(starts - offsets, lengths)
        rows = columns[positions]
        ids = self.token_ids(rows)
        boundary = rows[:, 3] == 1
        boundary[offsets[lengths > 0]] = True  # a turn's first token always opens a sentence
        slots = np.cumsum(1 + 2 * boundary) - 1
        size = int(slots[-1]) + 2  # + the closing "</s>"
        sequence = np.empty(size, dtype=np.int64)
        owners = np.empty(size, dtype=np.int64)
        sequence[slots], owners[slots] = ids, turn_of
        opened = slots[boundary]
        sequence[opened - 1], owners[opened - 1] = self._start, turn_of[boundary]
        # "</s>" before a sentence start closes the previous token's turn (the very first one closes nothing).
        previous = np.concatenate([[-1], turn_of[:-1]])
        sequence[opened - 2], owners[opened - 2] = self._end, previous[boundary]
        sequence[-1], owners[-1] = self._end, turn_of[-1]
        return sequence[1:], owners[1:]

    def codes(self, doc: Doc) -> set[int]:
        """The distinct codes of a whole Doc read as one turn."""
        columns = doc.to_array(list(ATTRIBUTES)) if len(doc) else np.zeros((0, len(ATTRIBUTES)), dtype=np.uint64)
        return set(self.codes_by_turn(columns, [(0, len(doc))])[1].tolist())

    def encode(self, ngram: str) -> int:
        """The code of an n-gram written as space-separated symbols, e.g. ``"could you _w_"``."""
        code = 0
        for symbol in ngram.split(" "):
            code = code * self.base + self.index[symbol] + 1
        return code

    def decode(self, code: int) -> str:
        symbols: list[str] = []
        code = int(code)
        while code:
            code, digit = divmod(code, self.base)
            symbols.append(self.symbols[digit - 1])
        return " ".join(reversed(symbols))

    def decode_all(self, codes: Iterable[int]) -> list[str]:
        return [self.decode(code) for code in codes]
