"""The politeness model's lexical component: n-grams over a closed, domain-general vocabulary.

Each token becomes its lower-case form when that form is in ``data/vocabulary.yml`` (function words,
courtesy, hedges, praise, reproach, a few punctuation marks), else a placeholder: ``_w_`` (any other word),
``_n_`` (a number) or ``_p_`` (other punctuation). Sentences are framed by ``<s>`` and ``</s>``, so
"<s> could you _w_" is one trigram. Topic words never reach the model, which keeps it portable from
Wikipedia talk pages to support chats.

Everything runs on numpy arrays taken from the Doc in one call (no per-token Python loop): token hashes are
looked up with ``searchsorted`` and n-grams are packed into one integer each.
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


class NgramEncoder:
    """Turns a Doc into the sorted, unique integer codes of its uni-, bi- and trigrams."""

    def __init__(self, vocabulary: Sequence[str]) -> None:
        self.symbols: tuple[str, ...] = tuple(vocabulary) + SPECIALS
        self.index = {symbol: position for position, symbol in enumerate(self.symbols)}
        self.base = len(self.symbols) + 1  # 0 is kept for "no token", so codes of different orders never clash
        hashes = np.array([hash_string(word) for word in vocabulary], dtype=np.uint64)
        order = np.argsort(hashes)
        self._hashes = hashes[order]
        self._ids = np.arange(len(vocabulary), dtype=np.int64)[order]
        self._word, self._number, self._punct = (self.index[s] for s in (WORD, NUMBER, PUNCT))
        self._start, self._end = self.index[START], self.index[END]

    def token_ids(self, doc: Doc) -> np.ndarray:
        """Vocabulary ids of the tokens with sentence frames inserted."""
        if len(doc) == 0:
            return np.array([self._start, self._end], dtype=np.int64)
        array = doc.to_array([LOWER, IS_PUNCT, LIKE_NUM, SENT_START])
        lowers = array[:, 0]
        position = np.searchsorted(self._hashes, lowers)
        position[position >= len(self._hashes)] = 0
        known = self._hashes[position] == lowers if len(self._hashes) else np.zeros(len(lowers), dtype=bool)
        ids = np.where(array[:, 2] == 1, self._number, np.where(array[:, 1] == 1, self._punct, self._word))
        ids = np.where(known, self._ids[position], ids).astype(np.int64)
        # SENT_START is 1 for a sentence start, -1 inside, 0 unset; the first token always starts one.
        starts = np.flatnonzero(array[:, 3].astype(np.int64) == 1)
        starts = starts[starts > 0]
        framed = np.insert(ids, np.repeat(starts, 2), np.tile([self._end, self._start], len(starts)))
        return np.concatenate(([self._start], framed, [self._end]))

    def codes(self, doc: Doc) -> np.ndarray:
        ids = self.token_ids(doc) + 1
        base = self.base
        parts = [ids]
        if len(ids) >= 2:
            parts.append(ids[:-1] * base + ids[1:])
        if len(ids) >= 3:
            parts.append((ids[:-2] * base + ids[1:-1]) * base + ids[2:])
        return np.unique(np.concatenate(parts))

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
