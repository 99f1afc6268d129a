"""From a processed Doc to a TurnAnalysis: the markers, P(polite) or P(complaint), and asked-for information."""

from __future__ import annotations

from functools import lru_cache

from spacy.tokens import Doc

from analytics.scoring import resources
from analytics.scoring.components import SPANS_KEY
from analytics.scoring.types import Marker, TurnAnalysis, TurnInput

# A sentence asks for information when it is a question or carries one of these request words.
REQUEST_WORDS = frozenset({"please", "pls", "provide", "send", "share", "confirm", "give", "need", "tell",
                           "let", "attach", "upload", "check", "verify", "type", "enter"})


@lru_cache(maxsize=1)
def _relevant_labels() -> tuple[frozenset[str], frozenset[str]]:
    labels = resources.load_yaml("labels.yml")
    responder = set(labels["politeness_strategies"]) | set(labels["service_strategies"])
    responder |= set(labels["deescalation_moves"]) | set(labels["efficiency_markers"])
    responder |= {"ANGER"}
    customer = set(labels["complaint_cues"]) | {"CONFIRMATION", "REOPEN", "GRATITUDE"}
    return frozenset(responder), frozenset(customer)


def _asked(doc: Doc) -> tuple[str, ...]:
    slots: list[str] = []
    for span in doc.spans.get(SPANS_KEY, ()):
        if span.label_ != "ASK" or span.id_ in slots:
            continue
        sentence = span.sent
        if sentence.text.rstrip().endswith("?") or any(token.lower_ in REQUEST_WORDS for token in sentence):
            slots.append(span.id_)
    return tuple(slots)


def analyze_turn(doc: Doc, turn: TurnInput, index: int) -> TurnAnalysis:
    responder_labels, customer_labels = _relevant_labels()
    is_customer = turn.speaker == "customer"
    wanted = customer_labels if is_customer else responder_labels
    markers = [Marker(span.label_, span.id_, span.start_char, span.end_char, span.text)
               for span in doc.spans.get(SPANS_KEY, ()) if span.label_ in wanted]
    markers.sort(key=lambda marker: (marker.start, marker.end))
    counts = doc._.cxqa_label_counts or {}
    analysis = TurnAnalysis(index=index, speaker=turn.speaker, text=doc.text, ts=turn.ts, agent_id=turn.agent_id,
                            markers=markers, label_counts={label: counts[label] for label in counts if label in wanted})
    if is_customer:
        analysis.complaint = doc._.cxqa_complaint
        analysis.complaint_cues = doc._.cxqa_complaint_cues or {}
    else:
        analysis.politeness = doc._.cxqa_politeness
        analysis.politeness_contributions = doc._.cxqa_politeness_contributions or {}
        analysis.asked = _asked(doc)
    return analysis
