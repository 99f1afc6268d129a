"""Finds every occurrence of many token phrases in a whole batch of Docs at once, with numpy (pure).

It finds what spaCy's ``PhraseMatcher`` finds: every (start, length, key) where the tokens' hashes equal a
phrase of that key. The PhraseMatcher walks a trie token by token, once per Doc, and hands each match back as
a Python tuple; here the tokens of a batch of Docs sit in one array, the first k tokens of every window get
one 64-bit code (a polynomial of their hashes), the codes are looked up in the sorted codes of the phrases'
k-token prefixes, and each whole-phrase candidate is checked against the phrase's own hashes, so a code
collision never makes a false match. A window never crosses from one Doc into the next.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple

import numpy as np

# Multipliers tried in turn until the phrases of every length have distinct codes (the first one always has,
# so far); the choice is deterministic, so every process builds the same table.
MULTIPLIERS = (0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93)


class PhraseHits(NamedTuple):
    starts: np.ndarray  # first token (position in the batch)
    lengths: np.ndarray  # tokens
    keys: np.ndarray  # the key the phrase was added under


class _Depth(NamedTuple):
    """The phrases' prefixes of one length: their sorted distinct codes, and for each prefix that is a whole
    phrase, its token hashes and keys (``phrase`` = -1 for a prefix that is not one)."""

    codes: np.ndarray
    phrase: np.ndarray  # prefix -> row in ``hashes`` / ``key_offsets``, or -1
    hashes: np.ndarray  # (whole phrases of this length, length)
    key_offsets: np.ndarray  # keys of row r: keys[key_offsets[r]:key_offsets[r + 1]]
    keys: np.ndarray


def _prefix_codes(matrix: np.ndarray, multiplier: np.uint64) -> list[np.ndarray]:
    """The codes of the first 1, 2, ... columns of each row of ``matrix``."""
    codes = [matrix[:, 0].copy()]
    for column in range(1, matrix.shape[1]):
        codes.append(codes[-1] * multiplier + matrix[:, column])  # wraps around modulo 2**64, as intended
    return codes


class PhraseTable:
    """``phrases``: (key, token hashes) pairs; the same phrase may be given under several keys (one hit per
    key, as the PhraseMatcher gives) and twice under one key (one hit). Empty phrases are ignored.

    Matching walks the phrases' prefixes like a trie, for all windows at once: the windows whose first token
    starts some phrase, then those of them whose first two tokens start one, and so on; most windows drop out
    at the first step or two, against small tables.
    """

    def __init__(self, phrases: Iterable[tuple[int, Sequence[int]]]) -> None:
        entries: dict[tuple[int, ...], set[int]] = {}
        for key, hashes in phrases:
            if len(hashes):
                entries.setdefault(tuple(int(value) for value in hashes), set()).add(int(key))
        self._depths: list[_Depth] = []
        self.multiplier = MULTIPLIERS[0]
        if not entries:
            return
        longest = max(len(phrase) for phrase in entries)
        phrase_list = list(entries)
        padded = np.zeros((len(phrase_list), longest), dtype=np.uint64)
        lengths = np.array([len(phrase) for phrase in phrase_list], dtype=np.int64)
        for row, phrase in enumerate(phrase_list):
            padded[row, :len(phrase)] = phrase
        for candidate in MULTIPLIERS:
            multiplier = np.uint64(candidate)
            prefixes = _prefix_codes(padded, multiplier)
            if all(self._distinct(prefixes[depth][lengths > depth], padded[lengths > depth, :depth + 1])
                   for depth in range(longest)):
                break
        else:  # pragma: no cover - no multiplier so far has ever been short of distinct codes
            raise ValueError("phrase codes collide for every multiplier; add one to MULTIPLIERS")
        self.multiplier = multiplier
        for depth in range(longest):
            reaching = lengths > depth  # phrases with a (depth + 1)-token prefix
            codes, first = np.unique(prefixes[depth][reaching], return_index=True)
            whole = np.flatnonzero(lengths == depth + 1)
            whole_codes = prefixes[depth][whole]
            order = np.argsort(whole_codes)
            whole, whole_codes = whole[order], whole_codes[order]
            phrase = np.full(len(codes), -1, dtype=np.int64)
            phrase[np.searchsorted(codes, whole_codes)] = np.arange(len(whole))
            key_lists = [sorted(entries[phrase_list[row]]) for row in whole.tolist()]
            key_offsets = np.zeros(len(whole) + 1, dtype=np.int64)
            key_offsets[1:] = np.cumsum([len(keys) for keys in key_lists])
            keys = np.fromiter((key for keys in key_lists for key in keys), dtype=np.int64,
                               count=int(key_offsets[-1]))
            self._depths.append(_Depth(codes, phrase, padded[whole, :depth + 1], key_offsets, keys))

    @staticmethod
    def _distinct(codes: np.ndarray, prefixes: np.ndarray) -> bool:
        """Whether distinct prefixes have distinct codes."""
        return len(np.unique(codes)) == len(np.unique(prefixes, axis=0))

    @property
    def max_length(self) -> int:
        return len(self._depths)

    def __len__(self) -> int:
        return sum(len(depth.hashes) for depth in self._depths)

    def find(self, hashes: np.ndarray, doc_of: np.ndarray) -> PhraseHits:
        """Every hit in the token ``hashes`` (uint64) of a batch, where ``doc_of`` numbers each token's Doc
        (non-decreasing). Hits come grouped by phrase length, then by start."""
        starts, lengths, keys = [], [], []
        windows = np.arange(len(hashes), dtype=np.int64)  # the windows still alive, by their first token
        codes = hashes.copy()
        last = len(hashes) - 1
        for depth, table in enumerate(self._depths):
            if depth:
                alive = windows + depth <= last
                windows, codes = windows[alive], codes[alive]
                ends = windows + depth
                alive = doc_of[ends] == doc_of[windows]
                windows, codes, ends = windows[alive], codes[alive], ends[alive]
                codes = codes * self.multiplier + hashes[ends]
            if not len(windows):
                break
            position = np.searchsorted(table.codes, codes)
            np.minimum(position, len(table.codes) - 1, out=position)
            alive = table.codes[position] == codes
            windows, codes, position = windows[alive], codes[alive], position[alive]
            rows = table.phrase[position]
            whole = rows >= 0
            if not whole.any():
                continue
            found, rows = windows[whole], rows[whole]
            exact = np.ones(len(found), dtype=bool)
            for offset in range(depth + 1):
                exact &= table.hashes[rows, offset] == hashes[found + offset]
            found, rows = found[exact], rows[exact]
            per_phrase = table.key_offsets[rows + 1] - table.key_offsets[rows]
            first_key = np.repeat(table.key_offsets[rows], per_phrase)
            rank = np.arange(len(first_key)) - np.repeat(np.cumsum(per_phrase) - per_phrase, per_phrase)
            starts.append(np.repeat(found, per_phrase))
            lengths.append(np.full(len(first_key), depth + 1, dtype=np.int64))
            keys.append(table.keys[first_key + rank])
        if not starts:
            empty = np.zeros(0, dtype=np.int64)
            return PhraseHits(empty, empty, empty)
        return PhraseHits(np.concatenate(starts), np.concatenate(lengths), np.concatenate(keys))
