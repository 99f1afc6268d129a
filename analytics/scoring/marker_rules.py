"""The markers component's rules, compiled once from the data files: every label and pattern id as a number,
the phrase table, the token patterns left for spaCy's Matcher, all-caps words and combinations.

A *key* is one pattern id of one label with one sentence-start condition (``label/id/condition``); the phrase
table and the Matcher report key numbers, and the arrays here turn them into label, pattern and condition.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from spacy.language import Language
from spacy.matcher import Matcher

from analytics.scoring import resources
from analytics.scoring.patterns import as_phrases, caps_word_min_length
from analytics.scoring.phrase_table import PhraseTable

NO_CONDITION, AT_SENTENCE_START, NOT_AT_SENTENCE_START = 0, 1, 2
_CONDITIONS = {None: NO_CONDITION, True: AT_SENTENCE_START, False: NOT_AT_SENTENCE_START}


class _Keys:
    """Keys in the order they are first seen, with their label, pattern id and condition."""

    def __init__(self) -> None:
        self.entries: dict[str, tuple[str, str, int]] = {}

    def add(self, label: str, pattern_id: str, condition: bool | None | str) -> str:
        key = f"{label}/{pattern_id}/{condition}"
        self.entries[key] = (label, pattern_id, NO_CONDITION if condition == "matcher" else _CONDITIONS[condition])
        return key


class MarkerRules:
    def __init__(self, nlp: Language) -> None:
        keys = _Keys()
        phrases: dict[str, set[tuple[str, ...]]] = {}  # key -> word sequences
        token_patterns: dict[str, list[list[dict[str, Any]]]] = {}  # key -> Matcher patterns
        caps_words: list[tuple[str, str, int]] = []  # (label, pattern id, minimum length)
        for entry in resources.load_patterns():
            label, pattern_id, pattern = entry["label"], entry["id"], entry["pattern"]
            minimum = caps_word_min_length(pattern)
            converted = None if minimum is not None else as_phrases(pattern)
            if minimum is not None:
                caps_words.append((label, pattern_id, minimum))
            elif converted is None:
                token_patterns.setdefault(keys.add(label, pattern_id, "matcher"), []).append(pattern)
            else:
                phrases.setdefault(keys.add(label, pattern_id, converted[0]), set()).update(converted[1])
        lexicons = {keys.add(label, "lexicon", None): list(nlp.tokenizer.pipe(lexicon))
                    for label, lexicon in resources.load_lexicons().items()}
        combinations = [(rule["label"], rule["id"], rule["first"], rule["then"])
                        for rule in resources.load_combinations()]

        labels = {label for label, _, _ in keys.entries.values()} | {label for label, _, _ in caps_words}
        labels |= {name for rule in combinations for name in (rule[0], rule[2], rule[3])}
        pattern_ids = {pattern for _, pattern, _ in keys.entries.values()} | {pattern for _, pattern, _ in caps_words}
        pattern_ids |= {rule[1] for rule in combinations}
        self.labels: tuple[str, ...] = tuple(sorted(labels))
        self.patterns: tuple[str, ...] = tuple(sorted(pattern_ids))
        label_number = {label: number for number, label in enumerate(self.labels)}
        pattern_number = {pattern: number for number, pattern in enumerate(self.patterns)}

        names = list(keys.entries)
        key_number = {name: number for number, name in enumerate(names)}
        self.key_labels = np.array([label_number[keys.entries[name][0]] for name in names], dtype=np.int64)
        self.key_patterns = np.array([pattern_number[keys.entries[name][1]] for name in names], dtype=np.int64)
        self.key_conditions = np.array([keys.entries[name][2] for name in names], dtype=np.int64)
        # Matches of different keys at one position are listed in the order of the keys' string hashes, as
        # spaCy's matchers list them.
        hashes = [nlp.vocab.strings.add(name) for name in names]
        self.key_ranks = np.argsort(np.argsort(np.array(hashes, dtype=np.uint64))).astype(np.int64)

        lower_of: dict[str, int] = {}
        for word_lists in phrases.values():
            for words in word_lists:
                for word in words:
                    if word not in lower_of:
                        lower_of[word] = nlp.vocab[word].lower
        entries = [(key_number[key], [lower_of[word] for word in words])
                   for key, word_lists in phrases.items() for words in sorted(word_lists)]
        entries += [(key_number[key], doc.to_array("LOWER").tolist()) for key, docs in lexicons.items() for doc in docs]
        self.table = PhraseTable(entries)

        self.matcher = Matcher(nlp.vocab, validate=True)
        for key, patterns in token_patterns.items():
            self.matcher.add(key, patterns, greedy="LONGEST")
        self.matcher_keys = {hashes[key_number[key]]: key_number[key] for key in token_patterns}
        self.caps_words = [(label_number[label], pattern_number[pattern_id], minimum)
                           for label, pattern_id, minimum in caps_words]
        self.combinations = [(label_number[label], pattern_number[rule_id], label_number[first], label_number[then])
                             for label, rule_id, first, then in combinations]
