"""Sentence starts by spaCy's rule-based ``Sentencizer`` rule, for the tokens of a whole batch at once (pure).

The rule: a Doc's first token starts a sentence; after a token that is one of the sentence-final punctuation
characters (``Sentencizer.default_punct_chars``: ".", "!", "?", "。" and the like), the next token that is
neither punctuation nor one of those characters starts the next sentence. spaCy applies it token by token in
Python; here it is a few numpy passes over the batch, with the same result (checked against spaCy's
Sentencizer in the tests).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
from spacy.pipeline import Sentencizer
from spacy.strings import hash_string


class SentenceRule:
    """Tokens are compared with the characters by their lower-case form (the token arrays hold it anyway). For
    the default characters that is the same as comparing the text: lower() changes none of them, and no other
    character lower-cases into one of them (checked over all of Unicode in the tests)."""

    def __init__(self, punct_chars: Iterable[str] = Sentencizer.default_punct_chars) -> None:
        self._punct_hashes = np.unique(np.array([hash_string(char.lower()) for char in punct_chars],
                                                dtype=np.uint64))

    def starts(self, lower: np.ndarray, is_punct: np.ndarray, offsets: np.ndarray) -> np.ndarray:
        """Whether each token starts a sentence, from the tokens' ``lower`` hashes and punctuation flags (in Doc
        order; Doc ``d`` is tokens ``offsets[d]:offsets[d + 1]``)."""
        total = len(lower)
        starts = np.zeros(total, dtype=bool)
        if not total:
            return starts
        position = np.minimum(np.searchsorted(self._punct_hashes, lower), len(self._punct_hashes) - 1)
        final = self._punct_hashes[position] == lower  # a sentence-final character
        word = ~final & ~is_punct  # a token that can open a sentence
        index = np.arange(total, dtype=np.int64)
        # The last final character and the last word before each token (-1: none yet).
        last_final = np.maximum.accumulate(np.where(final, index, -1))
        last_word = np.maximum.accumulate(np.where(word, index, -1))
        doc_start = np.repeat(offsets[:-1], np.diff(offsets))
        starts[1:] = word[1:] & (last_final[:-1] > last_word[:-1]) & (last_final[:-1] >= doc_start[1:])
        starts[offsets[:-1][offsets[:-1] < offsets[1:]]] = True
        return starts
