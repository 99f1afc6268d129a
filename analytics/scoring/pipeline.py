"""Builds the scoring pipeline: ``spacy.blank("en")`` + sentencizer + the cxqa components.

No download: the blank English tokenizer and the rule-based sentencizer ship with spaCy. We measured a
trained pipeline (en_core_web_sm) for parse features too; see docs/scoring.md for why it is not used.
"""

from __future__ import annotations

import spacy
from spacy.language import Language

import analytics.scoring.components  # noqa: F401  (registers the cxqa_* factories and extensions)

MARKERS_ONLY = ("cxqa_markers",)
ALL_COMPONENTS = ("cxqa_markers", "cxqa_politeness", "cxqa_complaint")


def build_pipeline(components: tuple[str, ...] = ALL_COMPONENTS, base: str | None = None,
                   keep_spans: bool = False) -> Language:
    """The scoring pipeline. ``base`` names an installed trained pipeline to start from instead of blank;
    ``keep_spans`` also stores the matches as Spans in ``doc.spans["cxqa"]`` (slower; for inspection)."""
    if base:
        nlp = spacy.load(base, exclude=["ner", "lemmatizer"])
        if not nlp.has_pipe("parser") and not nlp.has_pipe("senter"):
            nlp.add_pipe("sentencizer")
    else:
        nlp = spacy.blank("en")
        nlp.add_pipe("sentencizer")
    for name in components:
        config = {"spans_key": "cxqa" if keep_spans else None} if name == "cxqa_markers" else {}
        nlp.add_pipe(name, config=config)
    return nlp
