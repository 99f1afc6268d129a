"""Builds the scoring pipeline: ``spacy.blank("en")`` + the cxqa components.

No download: the blank English tokenizer ships with spaCy. Sentences come from the rule of spaCy's
rule-based sentencizer, applied by ``cxqa_markers`` to the whole batch at once (``sentences.py``); Docs that
already have sentences (a trained pipeline's parser, or a sentencizer added before) keep theirs. We measured a
trained pipeline (en_core_web_sm) for parse features too; see docs/scoring.md for why it is not used.
"""

from __future__ import annotations

import spacy
from spacy.language import Language

import analytics.scoring.components  # noqa: F401  (registers the cxqa_* factories and extensions)

MARKERS_ONLY = ("cxqa_markers",)
ALL_COMPONENTS = ("cxqa_markers", "cxqa_politeness", "cxqa_complaint")


def build_pipeline(components: tuple[str, ...] = ALL_COMPONENTS, base: str | None = None,
                   keep_spans: bool = False, set_sentences: bool = True) -> Language:
    """The scoring pipeline. ``base`` names an installed trained pipeline to start from instead of blank;
    ``keep_spans`` also stores the matches as Spans in ``doc.spans["cxqa"]`` (slower; for inspection);
    ``set_sentences=False`` leaves the sentence starts out of the Docs (the scorer's own Docs, which nobody
    else sees: the components still use the sentences)."""
    nlp = spacy.load(base, exclude=["ner", "lemmatizer"]) if base else spacy.blank("en")
    for name in components:
        config = ({"spans_key": "cxqa" if keep_spans else None, "set_sentences": set_sentences}
                  if name == "cxqa_markers" else {})
        nlp.add_pipe(name, config=config)
    return nlp
