"""From processed Docs to TurnAnalysis objects: the markers, P(polite) or P(complaint), and asked-for information.

A batch of Docs is analysed at once from the components' arrays (``marker_batch.py``): which markers matter
for the speaker, their character offsets, and the sentences in which an agent asked for information.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache, partial
from types import MappingProxyType

import numpy as np
from spacy.strings import hash_string
from spacy.tokens import Doc

from analytics.scoring import resources
from analytics.scoring.marker_batch import (
    IDX_COLUMN,
    LENGTH_COLUMN,
    LOWER_COLUMN,
    STATE_KEY,
    MarkerBatch,
    state_of,
)
from analytics.scoring.types import Marker, TurnAnalysis, TurnInput

ASK = "ASK"
_EMPTY: Mapping = MappingProxyType({})
# Made straight from a tuple of their fields (what a named tuple's own constructor does, in a fraction of the time).
_new_marker = partial(tuple.__new__, Marker)
_new_analysis = partial(tuple.__new__, TurnAnalysis)


@lru_cache(maxsize=8)
def _names(names: tuple[str, ...]) -> np.ndarray:
    """``names`` as an array, to look many up at once by number."""
    return np.array(names, dtype=object)


@lru_cache(maxsize=1)
def _request_hashes() -> frozenset[int]:
    """A sentence asks for information when it is a question or carries one of these (efficiency.yml)."""
    words = resources.load_yaml("efficiency.yml")["request_words"]
    return frozenset(hash_string(str(word).lower()) for word in words)


@lru_cache(maxsize=1)
def _relevant_labels() -> tuple[frozenset[str], frozenset[str]]:
    labels = resources.load_yaml("labels.yml")
    responder = set(labels["politeness_strategies"]) | set(labels["service_strategies"])
    responder |= set(labels["deescalation_moves"]) | set(labels["efficiency_markers"])
    responder |= {"ANGER"}
    customer = set(labels["complaint_cues"]) | {"CONFIRMATION", "REOPEN", "GRATITUDE"}
    return frozenset(responder), frozenset(customer)


@lru_cache(maxsize=4)
def _wanted(labels: tuple[str, ...]) -> np.ndarray:
    """Row 0: which of ``labels`` matter in a responder's turn; row 1: in a customer's."""
    responder, customer = _relevant_labels()
    return np.array([[label in responder for label in labels], [label in customer for label in labels]], dtype=bool)


def _row_dicts(matrix: np.ndarray, labels: tuple[str, ...], rows: np.ndarray, count: int,
               present: np.ndarray | None = None) -> list[Mapping]:
    """For each of ``count`` turns, {label: value} of the entries of its row in ``matrix`` (turns x labels) that
    are ``present`` (default: non-zero), for the turns numbered in ``rows``; the others, and rows with nothing,
    get one shared read-only empty mapping."""
    dicts: list[Mapping] = [_EMPTY] * count
    if not len(rows):
        return dicts
    selected = matrix[rows]
    nonzero_rows, columns = np.nonzero(selected if present is None else present[rows])
    names = _names(labels)[columns].tolist()
    values = selected[nonzero_rows, columns].tolist()
    bounds = np.searchsorted(nonzero_rows, np.arange(len(rows) + 1)).tolist()
    for number, turn in enumerate(rows.tolist()):
        low, high = bounds[number], bounds[number + 1]
        if low < high:
            dicts[turn] = dict(zip(names[low:high], values[low:high]))  # noqa: B905 (equal lengths)
    return dicts


def _asked(batch: MarkerBatch, text: str, asks: list[tuple[str, int]]) -> tuple[str, ...]:
    """The information slots that ASK markers (slot, batch position of the marker's first token) name in a
    sentence that asks: a question (it ends with "?"), or one holding a request word."""
    columns = batch.columns
    slots: list[str] = []
    for slot, position in asks:
        if slot in slots:
            continue
        start, end = batch.sentence_bounds(position)
        first = int(columns[start, IDX_COLUMN])
        last = int(columns[end - 1, IDX_COLUMN] + columns[end - 1, LENGTH_COLUMN])
        if text[first:last].rstrip().endswith("?") or \
                not _request_hashes().isdisjoint(columns[start:end, LOWER_COLUMN].tolist()):
            slots.append(slot)
    return tuple(slots)


def _markers_by_turn(batch: MarkerBatch, local: np.ndarray, wanted_labels: np.ndarray,
                     count: int) -> tuple[list[list[Marker]], dict[int, list[tuple[str, int]]]]:
    """Each turn's markers that matter for its speaker, in text order (``local``: batch Doc number -> turn, -1
    for Docs not analysed; ``wanted_labels``: turns x labels), and the ASK markers (slot, batch position of the
    first token) of each turn that has any, in the order they were found."""
    match_turns = local[batch.match_docs]
    chosen = match_turns >= 0
    chosen[chosen] = wanted_labels[match_turns[chosen], batch.match_labels[chosen]]
    chosen = np.flatnonzero(chosen)
    turn_of = match_turns[chosen]
    starts, ends = batch.starts[chosen], batch.ends[chosen]
    order = np.lexsort((np.arange(len(chosen)), ends, starts, turn_of))  # by position, stable
    columns = batch.columns
    firsts = columns[starts[order], IDX_COLUMN].astype(np.int64).tolist()
    lasts = (columns[ends[order] - 1, IDX_COLUMN] + columns[ends[order] - 1, LENGTH_COLUMN]).astype(np.int64).tolist()
    label_names = _names(batch.labels)[batch.match_labels[chosen[order]]].tolist()
    pattern_names = _names(batch.patterns)[batch.match_patterns[chosen[order]]].tolist()
    markers = list(map(_new_marker, zip(label_names, pattern_names, firsts, lasts, strict=True)))
    bounds = np.searchsorted(turn_of[order], np.arange(count + 1)).tolist()
    by_turn = [markers[bounds[turn]:bounds[turn + 1]] for turn in range(count)]
    asks: dict[int, list[tuple[str, int]]] = {}
    if ASK in batch.labels:
        is_ask = batch.match_labels[chosen] == batch.labels.index(ASK)
        for turn, pattern, start in zip(turn_of[is_ask].tolist(), batch.match_patterns[chosen][is_ask].tolist(),
                                        starts[is_ask].tolist(), strict=True):
            asks.setdefault(turn, []).append((batch.patterns[pattern], start))
    return by_turn, asks


def _analyze_batch(batch: MarkerBatch, numbers: list[int], turns: Sequence[TurnInput], indices: Sequence[int],
                   texts: Sequence[str]) -> list[TurnAnalysis]:
    count = len(numbers)
    rows = np.array(numbers, dtype=np.int64)
    local = np.full(len(batch), -1, dtype=np.int64)  # batch Doc number -> position in ``numbers``
    local[rows] = np.arange(count)
    is_customer = np.array([turn.speaker == "customer" for turn in turns], dtype=bool)
    wanted_labels = _wanted(batch.labels)[is_customer.astype(np.int64)]  # (turns x labels)
    markers, asks = _markers_by_turn(batch, local, wanted_labels, count)

    labels, counts = batch.labels, batch.counts[rows]
    label_counts = _row_dicts(counts * wanted_labels, labels, np.arange(count), count)
    contributions = _row_dicts(batch.contributions[rows], labels, np.flatnonzero(~is_customer), count,
                               present=(counts > 0) & batch.contributing)
    cues = _row_dicts(batch.cue_counts[rows], labels, np.flatnonzero(is_customer), count)
    politeness, lexical = batch.politeness[rows].tolist(), batch.lexical[rows].tolist()
    complaint = batch.complaint[rows].tolist()

    analyses = []
    for position, turn in enumerate(turns):
        text = texts[position]
        common = (indices[position], turn.speaker, text, turn.ts, turn.agent_id, markers[position],
                  label_counts[position])
        if is_customer[position]:
            intensity = complaint[position]
            if intensity == intensity:  # not NaN: the complaint component scored it
                analyses.append(_new_analysis((*common, None, _EMPTY, intensity, cues[position], ())))
            else:
                analyses.append(_new_analysis((*common, None, _EMPTY, None, _EMPTY, ())))
            continue
        probability: float | None = politeness[position]
        turn_contributions: Mapping = _EMPTY
        if probability == probability:  # not NaN: the politeness component scored it
            turn_contributions = contributions[position]
            if turn_contributions is _EMPTY:
                turn_contributions = {}
            turn_contributions["lexical"] = lexical[position]  # a dict of its own, made by _row_dicts
        else:
            probability = None
        asked = _asked(batch, text, asks[position]) if position in asks else ()
        analyses.append(_new_analysis((*common, probability, turn_contributions, None, _EMPTY, asked)))
    return analyses


def analyze_docs(docs: Iterable[Doc], turns: Sequence[TurnInput], indices: Sequence[int],
                 texts: Sequence[str]) -> list[TurnAnalysis]:
    """The analyses of processed Docs, ``turns[i]`` being the turn the i-th Doc was made from (``texts[i]`` its
    text, ``indices[i]`` its number in its conversation). Takes the components' state out of each Doc and keeps
    no Doc: they may come straight from ``nlp.pipe``."""
    groups: list[tuple[MarkerBatch, list[int]]] = []
    for doc in docs:
        state = doc.user_data.pop(STATE_KEY, None)
        if state is None:
            state_of(doc)  # raises the clear error
        batch, number = state
        if groups and groups[-1][0] is batch:
            groups[-1][1].append(number)
        else:
            groups.append((batch, [number]))
    analyses: list[TurnAnalysis] = []
    position = 0
    for batch, numbers in groups:
        end = position + len(numbers)
        analyses += _analyze_batch(batch, numbers, turns[position:end], indices[position:end], texts[position:end])
        position = end
    return analyses


def analyze_turn(doc: Doc, turn: TurnInput, index: int, text: str | None = None) -> TurnAnalysis:
    """The analysis of one processed Doc (``text``: the text it was made from, if at hand)."""
    return analyze_docs([doc], [turn], [index], [doc.text if text is None else text])[0]
