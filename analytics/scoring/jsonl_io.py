"""``score-file`` and ``score-text`` without the command line: reading the import format and the output rows.

Input is untrusted: bytes that are not UTF-8 are replaced, a line that is not JSON or not a valid
conversation raises ``InputLineError`` naming the line, and nothing here ever raises anything else for odd text.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from analytics.importer.records import ConversationRecord, RecordError, parse_conversation
from analytics.scoring.types import ConversationInput, ConversationScores, TurnInput

FCR_WINDOW = timedelta(days=7)


class InputLineError(ValueError):
    def __init__(self, source: str, line_number: int, problem: str) -> None:
        self.line_number = line_number
        super().__init__(f"{source} line {line_number}: {problem}")


def decoded_lines(stream: IO[bytes]) -> Iterator[tuple[int, str]]:
    """(line number, text) with any byte sequence decoded (invalid UTF-8 replaced, a BOM dropped)."""
    for number, raw in enumerate(stream, start=1):
        text = raw.decode("utf-8", errors="replace")
        if number == 1:
            text = text.removeprefix("\ufeff")
        yield number, text.rstrip("\r\n")


def parse_line(source: str, number: int, text: str) -> ConversationRecord | None:
    if not text.strip():
        return None
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputLineError(source, number, f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        raise InputLineError(source, number, "not valid JSON (nested too deeply)") from None
    try:
        return parse_conversation(raw)
    except RecordError as exc:
        raise InputLineError(source, number, str(exc)) from None


def read_records(path: Path) -> Iterator[ConversationRecord]:
    with path.open("rb") as stream:
        for number, text in decoded_lines(stream):
            record = parse_line(str(path), number, text)
            if record is not None:
                yield record


def later_contacts(records: Iterable[ConversationRecord]) -> dict[tuple[str, str], list[datetime]]:
    """Start times of every conversation per (customer, touchpoint), sorted: for first-contact resolution."""
    starts: dict[tuple[str, str], list[datetime]] = defaultdict(list)
    for record in records:
        if record.customer_id and record.started_at is not None:
            starts[(record.customer_id, record.touchpoint or "")].append(record.started_at)
    for values in starts.values():
        values.sort()
    return dict(starts)


def first_contact_resolution(record: ConversationRecord, starts: dict[tuple[str, str], list[datetime]]) -> bool | None:
    if not record.customer_id or record.started_at is None:
        return None
    begin, end = record.started_at, record.started_at + FCR_WINDOW
    return not any(begin < other <= end for other in starts.get((record.customer_id, record.touchpoint or ""), ()))


def to_input(record: ConversationRecord, fcr: bool | None) -> ConversationInput:
    return ConversationInput(
        conversation_id=record.conversation_id,
        turns=tuple(TurnInput(turn.speaker, turn.text, turn.ts, turn.agent_id) for turn in record.turns),
        channel=record.channel, started_at=record.started_at, ended_at=record.ended_at,
        resolved_outcome=record.resolved, first_contact_resolution=fcr,
    )


def file_inputs(path: Path) -> Iterator[ConversationInput]:
    """Two passes: the first validates every line and indexes start times, the second streams inputs."""
    starts = later_contacts(read_records(path))
    for record in read_records(path):
        yield to_input(record, first_contact_resolution(record, starts))


def conversation_row(scores: ConversationScores) -> dict[str, Any]:
    efficiency = scores.efficiency.details
    deescalation = scores.deescalation
    evidence = [dict(item, dimension=name) for name, result in scores.dimensions().items()
                for item in result.evidence]
    return {
        "conversation_id": scores.conversation_id,
        "politeness": scores.politeness.value,
        "efficiency": scores.efficiency.value,
        "resolved": scores.resolved,
        "complaint": scores.complaint,
        "deescalated": scores.deescalated,
        "deescalation": deescalation.value,
        "evidence": evidence,
        "first_response_seconds": efficiency["first_response_seconds"],
        "median_agent_response_seconds": efficiency["median_agent_response_seconds"],
        "handle_seconds": efficiency["handle_seconds"],
        "turns": efficiency["turns"],
        "repeated_questions": efficiency["repeated_questions"],
        "transfers": efficiency["transfers"],
        "first_contact_resolution": efficiency["first_contact_resolution"],
        "resolved_basis": efficiency["resolved_basis"],
        "scorer_version": scores.scorer_version,
    }


def text_row(doc: Any) -> dict[str, Any]:
    """One ``score-text`` result from a processed Doc."""
    from analytics.scoring.resources import load_yaml

    labels = load_yaml("labels.yml")
    strategy_labels = set(labels["politeness_strategies"]) | set(labels["service_strategies"])
    cue_labels = set(labels["complaint_cues"])
    counts = doc._.cxqa_label_counts or {}
    politeness = float(doc._.cxqa_politeness)
    complaint = float(doc._.cxqa_complaint)
    return {
        "politeness": round(politeness, 4),
        "complaint": round(complaint, 4),
        "polite": politeness >= 0.5,
        "is_complaint": complaint >= 0.5,
        "strategies": sorted(label for label in counts if label in strategy_labels),
        "complaint_cues": sorted(doc._.cxqa_complaint_cues or {}),
        "evidence": [{"label": span.label_, "pattern": span.id_, "start": span.start_char, "end": span.end_char,
                      "text": span.text} for span in doc._.cxqa_spans
                     if span.label_ in strategy_labels or span.label_ in cue_labels],
    }


