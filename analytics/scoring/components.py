"""spaCy components of the scorer, registered under ``cxqa_`` names.

- ``cxqa_markers``: one Matcher (token patterns from ``*_patterns.jsonl``) and one PhraseMatcher
  (``lexicons.yml``) put every strategy, move and cue into ``doc.spans["cxqa"]`` (label = what it is,
  ``span.id_`` = which pattern).
- ``cxqa_politeness``: the politeness model on those spans plus the lexical n-grams:
  ``doc._.cxqa_politeness`` (P(polite)) and ``doc._.cxqa_strategies`` (label -> count).
- ``cxqa_complaint``: ``doc._.cxqa_complaint`` (P(complaint), the complaint intensity) and its cues.

Importing this module registers the factories and extensions once.
"""

from __future__ import annotations

from collections import Counter

from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span

from analytics.scoring import resources
from analytics.scoring.complaint_model import ComplaintModel
from analytics.scoring.politeness_model import PolitenessModel

SPANS_KEY = "cxqa"

_DOC_EXTENSIONS = {
    "cxqa_label_counts": None,  # Counter label -> number of matches
    "cxqa_politeness": None,  # P(polite) in [0, 1]
    "cxqa_politeness_contributions": None,  # label -> log-odds it added
    "cxqa_complaint": None,  # P(complaint) in [0, 1]
    "cxqa_complaint_cues": None,  # label -> effective count
}
for _name, _default in _DOC_EXTENSIONS.items():
    if not Doc.has_extension(_name):
        Doc.set_extension(_name, default=_default)


def _strategies(doc: Doc) -> dict[str, int]:
    counts = doc._.cxqa_label_counts or {}
    return {label: counts[label] for label in PolitenessModel.shared().strategy_labels if counts.get(label)}


if not Doc.has_extension("cxqa_strategies"):
    Doc.set_extension("cxqa_strategies", getter=_strategies)
if not Span.has_extension("cxqa_sentence_is_question"):
    # True when the span's sentence asks something: it ends with "?" (used for repeated questions).
    Span.set_extension("cxqa_sentence_is_question", getter=lambda span: span.sent.text.rstrip().endswith("?"))


class MarkerMatcher:
    """Matches every pattern and phrase list in one pass and stores the spans in ``doc.spans[SPANS_KEY]``."""

    def __init__(self, nlp: Language) -> None:
        self.matcher = Matcher(nlp.vocab, validate=True)
        grouped: dict[str, list[list[dict]]] = {}
        for entry in resources.load_patterns():
            grouped.setdefault(f"{entry['label']}/{entry['id']}", []).append(entry["pattern"])
        for key, patterns in grouped.items():
            self.matcher.add(key, patterns, greedy="LONGEST")
        self.phrase_matcher = PhraseMatcher(nlp.vocab, attr="LOWER")
        for label, phrases in resources.load_lexicons().items():
            self.phrase_matcher.add(f"{label}/lexicon", list(nlp.tokenizer.pipe(phrases)))
        self._keys: dict[int, tuple[str, str]] = {}
        for key in list(grouped) + [f"{label}/lexicon" for label in resources.load_lexicons()]:
            label, pattern_id = key.split("/", 1)
            self._keys[nlp.vocab.strings[key]] = (label, pattern_id)

    def __call__(self, doc: Doc) -> Doc:
        spans = []
        counts: Counter[str] = Counter()
        for match_id, start, end in list(self.matcher(doc)) + list(self.phrase_matcher(doc)):
            label, pattern_id = self._keys[match_id]
            spans.append(Span(doc, start, end, label=label, span_id=pattern_id))
            counts[label] += 1
        doc.spans[SPANS_KEY] = spans
        doc._.cxqa_label_counts = counts
        return doc


@Language.factory("cxqa_markers")
def make_markers(nlp: Language, name: str) -> MarkerMatcher:
    return MarkerMatcher(nlp)


class PolitenessComponent:
    def __init__(self, model: PolitenessModel) -> None:
        self.model = model

    def __call__(self, doc: Doc) -> Doc:
        probability, contributions = self.model.score_doc(doc)
        doc._.cxqa_politeness = probability
        doc._.cxqa_politeness_contributions = contributions
        return doc


@Language.factory("cxqa_politeness")
def make_politeness(nlp: Language, name: str) -> PolitenessComponent:
    return PolitenessComponent(PolitenessModel.shared())


class ComplaintComponent:
    def __init__(self, model: ComplaintModel) -> None:
        self.model = model

    def __call__(self, doc: Doc) -> Doc:
        probability, cues = self.model.score_doc(doc)
        doc._.cxqa_complaint = probability
        doc._.cxqa_complaint_cues = cues
        return doc


@Language.factory("cxqa_complaint")
def make_complaint(nlp: Language, name: str) -> ComplaintComponent:
    return ComplaintComponent(ComplaintModel.shared())
