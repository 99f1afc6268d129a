"""From a processed Doc to a TurnAnalysis: the markers, P(polite) or P(complaint), and asked-for information."""

from __future__ import annotations

from functools import lru_cache
from operator import itemgetter

from spacy.tokens import Doc

from analytics.scoring import resources
from analytics.scoring.components import STATE_KEY, TurnState, state_of
from analytics.scoring.types import Marker, TurnAnalysis, TurnInput


@lru_cache(maxsize=1)
def _request_words() -> frozenset[str]:
    """A sentence asks for information when it is a question or carries one of these (efficiency.yml)."""
    return frozenset(str(word).lower() for word in resources.load_yaml("efficiency.yml")["request_words"])


@lru_cache(maxsize=1)
def _relevant_labels() -> tuple[frozenset[str], frozenset[str]]:
    labels = resources.load_yaml("labels.yml")
    responder = set(labels["politeness_strategies"]) | set(labels["service_strategies"])
    responder |= set(labels["deescalation_moves"]) | set(labels["efficiency_markers"])
    responder |= {"ANGER"}
    customer = set(labels["complaint_cues"]) | {"CONFIRMATION", "REOPEN", "GRATITUDE"}
    return frozenset(responder), frozenset(customer)


_BY_POSITION = itemgetter(2, 3)  # a match's start and end token


def _sentence_bounds(sentence_ids: list[int], token: int) -> tuple[int, int]:
    number = sentence_ids[token]
    start = token
    while start > 0 and sentence_ids[start - 1] == number:
        start -= 1
    end = token
    while end < len(sentence_ids) and sentence_ids[end] == number:
        end += 1
    return start, end


def _asked(state: TurnState, asks: list[tuple[str, int]]) -> tuple[str, ...]:
    """The information slots an ASK marker names in a sentence that asks (a question, or a request)."""
    slots: list[str] = []
    for slot, token in asks:
        if slot in slots:
            continue
        start, end = _sentence_bounds(state.sentence_ids, token)
        sentence = state.doc[start:end]
        if sentence.text.rstrip().endswith("?") or any(word.lower_ in _request_words() for word in sentence):
            slots.append(slot)
    return tuple(slots)


def analyze_turn(doc: Doc, turn: TurnInput, index: int, text: str | None = None) -> TurnAnalysis:
    """``text`` is the text the Doc was made from (saves rebuilding it from the tokens). Takes the components'
    state out of the Doc: it refers to the Doc, and that cycle would keep every Doc alive until the garbage
    collector's next full pass."""
    text = doc.text if text is None else text
    state = state_of(doc)
    del doc.user_data[STATE_KEY]
    responder_labels, customer_labels = _relevant_labels()
    is_customer = turn.speaker == "customer"
    wanted = customer_labels if is_customer else responder_labels
    matches = [match for match in state.matches if match[0] in wanted]
    markers: list[Marker] = []
    if matches:
        for label, pattern_id, start, end in sorted(matches, key=_BY_POSITION):
            token = doc[start]
            first = token.idx
            if end - start > 1:
                token = doc[end - 1]
            last = token.idx + len(token)
            markers.append(Marker(label, pattern_id, first, last, text[first:last]))
    counts = state.label_counts
    analysis = TurnAnalysis(index=index, speaker=turn.speaker, text=text, ts=turn.ts, agent_id=turn.agent_id,
                            markers=markers, label_counts={label: counts[label] for label in counts if label in wanted})
    if is_customer:
        analysis.complaint = state.complaint
        analysis.complaint_cues = state.complaint_cues
    else:
        analysis.politeness = state.politeness
        analysis.politeness_contributions = state.politeness_contributions
        asks = [(pattern_id, start) for label, pattern_id, start, _ in matches if label == "ASK"]
        if asks:
            analysis.asked = _asked(state, asks)
    return analysis
