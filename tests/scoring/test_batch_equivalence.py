"""The batch engine (phrase table, sentence rule, batched markers and complaint model) gives exactly what the
plain per-Doc definitions built on spaCy's own PhraseMatcher and Sentencizer give.

The references below are written the simple way, Doc by Doc, as the scorer first did it; Hypothesis feeds both
the same texts in batches of different sizes.
"""

from __future__ import annotations

import math
import random

import numpy as np
import pytest
import spacy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spacy.matcher import PhraseMatcher
from spacy.tokens import Doc

from analytics.scoring import resources
from analytics.scoring.complaint_model import ComplaintModel
from analytics.scoring.patterns import as_phrases, caps_word_min_length
from analytics.scoring.phrase_table import PhraseTable
from analytics.scoring.pipeline import build_pipeline

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _pattern_words() -> list[str]:
    """Words and phrases of the scorer's own patterns and lexicons: random texts built from them fire markers."""
    rng = random.Random(3)
    phrases: list[str] = []
    for entry in resources.load_patterns():
        converted = as_phrases(entry["pattern"])
        if converted:
            phrases += [" ".join(words) for words in rng.sample(converted[1], min(len(converted[1]), 5))]
    for lexicon in resources.load_lexicons().values():
        phrases += list(lexicon)[:10]
    return phrases


PIECES = _pattern_words() + ["?!", "!!!", ".", "...", "\n", '"', ")", "NO WAY", "ANGRY", "SN12", "。", "will", "within",
                             "2 days", "tomorrow", "don't", "kettle", "😀", "Ünïcödé", " ", "\t"]
piece_text = st.lists(st.sampled_from(PIECES), max_size=18).map(" ".join)
any_text = st.one_of(piece_text, st.text(max_size=80))
capitalised = st.tuples(piece_text, st.sampled_from(["lower", "upper", "title", "same"])).map(
    lambda pair: {"lower": str.lower, "upper": str.upper, "title": str.title, "same": str}[pair[1]](pair[0]))
texts = st.lists(st.one_of(any_text, capitalised), min_size=1, max_size=12)


@pytest.fixture(scope="module")
def reference_nlp():
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp


# ----------------------------------------------------------------------------------------------------------
# Sentences: the batch rule against spaCy's Sentencizer


@SETTINGS
@given(values=texts)
def test_sentences_are_the_sentencizers(nlp, reference_nlp, values):
    for doc, expected in zip(nlp.pipe(values, batch_size=5), reference_nlp.pipe(values), strict=True):
        assert [token.is_sent_start for token in doc] == [token.is_sent_start for token in expected], doc.text


# A Doc ending a sentence, then Docs that open with punctuation: a sentence rule must not run across Docs.
ACROSS_DOCS = ["Thanks.", "- and then it broke", '"', "ok", "Done!", ") well"]


def test_sentences_do_not_run_across_docs(nlp, reference_nlp):
    for doc, expected in zip(nlp.pipe(ACROSS_DOCS), reference_nlp.pipe(ACROSS_DOCS), strict=True):
        assert [token.is_sent_start for token in doc] == [token.is_sent_start for token in expected], doc.text


def test_docs_that_come_with_sentences_keep_them():
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer", config={"punct_chars": [";"]})  # an unusual rule before the markers
    nlp.add_pipe("cxqa_markers")
    doc = nlp("One thing; another. Still the second")
    assert [sentence.text for sentence in doc.sents] == ["One thing;", "another. Still the second"]


def test_the_scorers_own_docs_are_left_without_sentence_starts():
    nlp = build_pipeline(set_sentences=False)
    doc = nlp("First. Second.")
    assert not doc.has_annotation("SENT_START")
    assert doc._.cxqa_sentence_ids == [0, 0, 1, 1]  # the components used the sentences all the same


# ----------------------------------------------------------------------------------------------------------
# Phrases: the table against spaCy's PhraseMatcher


@SETTINGS
@given(phrases=st.lists(st.tuples(st.integers(0, 3), st.lists(st.sampled_from("abcde"), min_size=1, max_size=4)),
                        min_size=1, max_size=25),
       docs=st.lists(st.lists(st.sampled_from("abcdef"), max_size=12), min_size=1, max_size=5))
def test_phrase_table_finds_what_the_phrase_matcher_finds(phrases, docs):
    nlp = spacy.blank("en")
    matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
    for key, words in phrases:
        matcher.add(f"key{key}", [Doc(nlp.vocab, words=words)])
    table = PhraseTable((key, [nlp.vocab[word].lower for word in words]) for key, words in phrases)
    made = [Doc(nlp.vocab, words=words) if words else Doc(nlp.vocab) for words in docs]
    hashes = np.concatenate([doc.to_array("LOWER").reshape(-1) for doc in made] + [np.zeros(0, dtype=np.uint64)])
    doc_of = np.repeat(np.arange(len(made)), [len(doc) for doc in made])
    offsets = np.cumsum([0] + [len(doc) for doc in made])
    hits = table.find(hashes.astype(np.uint64), doc_of)
    found = sorted((int(doc_of[start]), int(start - offsets[doc_of[start]]), int(length), int(key))
                   for start, length, key in zip(hits.starts, hits.lengths, hits.keys, strict=True))
    expected = sorted((number, start, end - start, int(nlp.vocab.strings[match_id][3:]))
                      for number, doc in enumerate(made) for match_id, start, end in matcher(doc))
    assert found == expected


# ----------------------------------------------------------------------------------------------------------
# Markers: the batched component against the per-Doc definition


class ReferenceMarkers:
    """The markers as first written: spaCy's PhraseMatcher per Doc, sorted by (key, start, end); a match of a key
    inside the last kept match of that key is dropped; sentence-start conditions checked per match; all-caps
    words from the tokens; combinations within a sentence."""

    def __init__(self, nlp) -> None:
        self.matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.keys: dict[int, tuple[str, str, bool | None]] = {}
        self.caps: list[tuple[str, str, int]] = []
        phrases: dict[str, set[tuple[str, ...]]] = {}
        for entry in resources.load_patterns():
            minimum = caps_word_min_length(entry["pattern"])
            if minimum is not None:
                self.caps.append((entry["label"], entry["id"], minimum))
                continue
            condition, words = as_phrases(entry["pattern"])
            key = f"{entry['label']}/{entry['id']}/{condition}"
            phrases.setdefault(key, set()).update(words)
            self.keys[nlp.vocab.strings.add(key)] = (entry["label"], entry["id"], condition)
        for key, word_lists in phrases.items():
            self.matcher.add(key, [Doc(nlp.vocab, words=list(words)) for words in sorted(word_lists)])
        for label, lexicon in resources.load_lexicons().items():
            key = f"{label}/lexicon/None"
            self.matcher.add(key, list(nlp.tokenizer.pipe(lexicon)))
            self.keys[nlp.vocab.strings.add(key)] = (label, "lexicon", None)
        self.combinations = resources.load_combinations()

    def __call__(self, doc: Doc) -> list[tuple[str, str, int, int]]:
        matches, last_key, last_end = [], -1, -1
        for match_id, start, end in sorted(self.matcher(doc)):
            if match_id == last_key and start < last_end:
                continue
            label, pattern, condition = self.keys[match_id]
            if condition is not None and (doc[start].is_sent_start is True) != condition:
                continue
            last_key, last_end = match_id, end
            matches.append((label, pattern, start, end))
        for label, pattern, minimum in self.caps:
            matches += [(label, pattern, token.i, token.i + 1) for token in doc
                        if token.is_upper and token.is_alpha and len(token) >= minimum]
        sentence, number = [], 0
        for token in doc:
            number += 1 if token.i and token.is_sent_start else 0
            sentence.append(number)
        for rule in self.combinations:
            thens = sorted((start, end) for kind, _, start, end in matches if kind == rule["then"])
            found = []
            for kind, _, start, end in matches:
                if kind == rule["first"]:
                    found += [(start, then_end) for then_start, then_end in thens
                              if then_start >= end and sentence[then_start] == sentence[start]][:1]
            matches += [(rule["label"], rule["id"], start, end) for start, end in found]
        return matches


@pytest.fixture(scope="module")
def reference_markers(reference_nlp):
    return ReferenceMarkers(reference_nlp)


@SETTINGS
@given(values=texts, batch_size=st.sampled_from([1, 3, 64]))
def test_batched_markers_are_the_per_doc_definition(nlp, reference_nlp, reference_markers, values, batch_size):
    for doc, expected in zip(nlp.pipe(values, batch_size=batch_size), reference_nlp.pipe(values), strict=True):
        assert doc._.cxqa_matches == reference_markers(expected), doc.text


# Repeated and overlapping matches of one pattern: side by side both count, one inside another does not.
REPEATS = ["sorry sorry sorry", "thank you thank you so much", "! ! !", "no no no", "very very very bad",
           "I understand, I understand how frustrating", "please please help", "ANGRY ANGRY"]


def test_repeated_and_overlapping_markers_are_the_per_doc_definition(nlp, reference_nlp, reference_markers):
    for doc, expected in zip(nlp.pipe(REPEATS), reference_nlp.pipe(REPEATS), strict=True):
        assert doc._.cxqa_matches == reference_markers(expected), doc.text


# ----------------------------------------------------------------------------------------------------------
# Complaint intensity: the batched model against the formula, turn by turn


def reference_complaint(doc: Doc, matches: list[tuple[str, str, int, int]]) -> tuple[float, dict[str, int]]:
    config = resources.load_yaml(resources.COMPLAINT_MODEL_FILE)
    cues = config["cues"]
    negations = set(resources.load_lexicons()["NEGATION"])
    counts: dict[str, int] = {}
    for label, _, start, end in matches:
        if label not in cues and label != "INTENSIFIER":
            continue
        window = range(max(0, start - config["negation_window"]), start)
        if label in config["negated_labels"] and end - start == 1 and any(doc[i].lower_ in negations for i in window):
            continue
        counts[label] = counts.get(label, 0) + 1
    if "SHOUTING" in counts:
        counts["SHOUTING"] -= config["shouting_free"]
        if counts["SHOUTING"] <= 0:
            del counts["SHOUTING"]
    logit = config["intercept"]
    for label, entry in cues.items():
        logit += entry["weight"] * min(counts.get(label, 0), entry["cap"])
    negative = any(counts.get(label) for label in config["negative_cues"])
    if negative:
        logit += config["intensifier"]["weight"] * min(counts.get("INTENSIFIER", 0), config["intensifier"]["cap"])
    # The cues shown as evidence: only those that raised the probability.
    raising = {label: n for label, n in counts.items()
               if (label in cues and cues[label]["weight"] > 0) or (label == "INTENSIFIER" and negative)}
    return 1 / (1 + math.exp(-logit)), raising


@SETTINGS
@given(values=texts)
def test_batched_complaint_is_the_formula(nlp, values):
    for doc in nlp.pipe(values, batch_size=4):
        probability, cues = reference_complaint(doc, doc._.cxqa_matches)
        assert doc._.cxqa_complaint == pytest.approx(probability, rel=1e-12, abs=1e-15), doc.text
        assert doc._.cxqa_complaint_cues == cues


def test_a_complaint_exactly_at_the_threshold_is_one():
    """The hand-set weights are round numbers, so a logit can be exactly 0: the sum must be the formula's, in its
    order, to the last bit (P = 0.5 is a complaint)."""
    model = ComplaintModel.shared()
    labels = ("CHARGEBACK", "INTENSIFIER")
    counts = np.array([[1, 0]])
    assert model.probabilities(counts, labels)[0] == 0.5  # -2.6 + 2.6


def test_sentence_final_characters_can_be_compared_lower_cased():
    """The sentence rule compares lower-case forms: exact only if lower() changes none of the characters and no
    other character lower-cases into one (lower() never makes a string shorter, so one character suffices)."""
    import sys

    from spacy.pipeline import Sentencizer

    finals = set(Sentencizer.default_punct_chars)
    assert all(len(char) == 1 and char.lower() == char for char in finals)
    others = [hex(code) for code in range(sys.maxunicode + 1)
              if chr(code) not in finals and chr(code).lower() in finals]
    assert not others


def test_patterns_that_are_not_phrases_run_in_spacys_matcher(monkeypatch):
    """No pattern of ours needs it today, but one with a shape (a number, a wildcard) would run there."""
    from analytics.scoring.components import MarkerMatcher

    extra = {"label": "ERROR_CODE", "id": "error-number", "pattern": [{"LOWER": "error"}, {"IS_DIGIT": True}]}
    ours = resources.load_patterns()
    monkeypatch.setattr(resources, "load_patterns", lambda: (*ours, extra))
    nlp = spacy.blank("en")
    markers = MarkerMatcher(nlp, spans_key=None)
    assert len(markers.rules.matcher) == 1
    docs = [nlp.make_doc(text) for text in ("Sorry, I see error 42 again", "no code here", "error 7")]
    markers._match(docs)
    found = [[match for match in markers_of(doc) if match[0] == "ERROR_CODE"] for doc in docs]
    assert found == [[("ERROR_CODE", "error-number", 4, 6)], [], [("ERROR_CODE", "error-number", 0, 2)]]
    listed = [label for label, _, _, _ in markers_of(docs[0])]
    assert "APOLOGIZING" in listed and listed[-1] == "ERROR_CODE"  # after the phrase matches, as before


def markers_of(doc):
    return doc._.cxqa_matches


def test_complaint_cues_name_only_what_raised_the_score(nlp):
    """Gratitude and a confirmation lower P(complaint): they are never listed as complaint cues; an intensifier
    is listed only where it counted (beside a negative cue)."""
    thanks, angry = nlp.pipe(["Thanks very much for your help, that fixed it",
                              "I am really not happy, nobody answered"])
    assert thanks._.cxqa_complaint_cues == {}
    assert set(angry._.cxqa_complaint_cues) >= {"DISSATISFACTION", "INTENSIFIER"}
    assert "GRATITUDE" not in angry._.cxqa_complaint_cues
