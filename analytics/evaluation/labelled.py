"""The labelled formats ``cxqa evaluate`` reads: the import format plus what careful reviewers said.

Conversations (one JSON line each): every field of the transcript import (README, "JSON Lines") and
  "labels": {"resolved": bool, "complaint": bool, "deescalated": bool | null (null without a complaint),
             "politeness": "low" | "medium" | "high", "efficiency": "low" | "medium" | "high",
             "complaint_peak_turn": int | null},
  optional "pair": {"id": str, "focus": "politeness" | "efficiency" | "deescalation", "better": bool},
  optional "annotations": [{"labeler": str, <the same label keys>}, ...] (each reviewer's own labels, for
  the agreement between reviewers; "labels" is then the settled label).
Short texts: {"id", "text", "labels": {"complaint": bool}} (posts to brands) or {"labels": {"politeness":
  "polite" | "neutral" | "impolite"}} (support replies), with the same optional "annotations".
This is also the format leads' own reviews are exported in, so the figures can be computed against them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analytics.importer.records import ConversationRecord, RecordError, parse_conversation

FLAGS = ("resolved", "complaint", "deescalated")
GRADES = {"low": 1, "medium": 2, "high": 3}
GRADED = ("politeness", "efficiency")
PAIR_FOCUS = ("politeness", "efficiency", "deescalation")
POLITENESS_CLASSES = ("impolite", "neutral", "polite")


class LabelError(ValueError):
    """A labelled file that cannot be evaluated; the message names the file, line and field."""


@dataclass(frozen=True)
class LabelledConversation:
    record: ConversationRecord
    labels: dict[str, Any]
    pair: dict[str, Any] | None
    annotations: tuple[dict[str, Any], ...] = field(default=())


@dataclass(frozen=True)
class LabelledText:
    item_id: str
    text: str
    labels: dict[str, Any]
    annotations: tuple[dict[str, Any], ...] = field(default=())


def _lines(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    with path.open(encoding="utf-8", errors="replace") as stream:
        for number, line in enumerate(stream, start=1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
            except (json.JSONDecodeError, RecursionError) as exc:
                raise LabelError(f"{path}, line {number}: not valid JSON ({exc})") from None
            if not isinstance(raw, dict):
                raise LabelError(f"{path}, line {number}: expected a JSON object")
            yield number, raw


def _check_conversation_labels(labels: Any, where: str) -> dict[str, Any]:
    if not isinstance(labels, dict):
        raise LabelError(f"{where}: field 'labels': expected an object")
    for flag in ("resolved", "complaint"):
        if not isinstance(labels.get(flag), bool):
            raise LabelError(f"{where}: field 'labels.{flag}': expected true or false")
    deescalated = labels.get("deescalated")
    if labels["complaint"] and not isinstance(deescalated, bool):
        raise LabelError(f"{where}: field 'labels.deescalated': expected true or false with a complaint")
    if not labels["complaint"] and deescalated is not None:
        raise LabelError(f"{where}: field 'labels.deescalated': expected null without a complaint")
    for graded in GRADED:
        if labels.get(graded) not in GRADES:
            raise LabelError(f"{where}: field 'labels.{graded}': expected one of low|medium|high")
    return labels


def read_conversations(path: Path) -> list[LabelledConversation]:
    found = []
    for number, raw in _lines(path):
        where = f"{path}, line {number}"
        try:
            record = parse_conversation(raw)
        except RecordError as exc:
            raise LabelError(f"{where}: {exc}") from None
        labels = _check_conversation_labels(raw.get("labels"), where)
        pair = raw.get("pair")
        if pair is not None and (not isinstance(pair, dict) or pair.get("focus") not in PAIR_FOCUS
                                 or not isinstance(pair.get("better"), bool) or not isinstance(pair.get("id"), str)):
            raise LabelError(f"{where}: field 'pair': expected {{id, focus, better}}")
        found.append(LabelledConversation(record, labels, pair, tuple(raw.get("annotations") or ())))
    return found


def read_texts(path: Path, label: str) -> list[LabelledText]:
    found = []
    for number, raw in _lines(path):
        where = f"{path}, line {number}"
        labels = raw.get("labels")
        if not isinstance(raw.get("text"), str) or not isinstance(raw.get("id"), str):
            raise LabelError(f"{where}: fields 'id' and 'text': expected strings")
        if not isinstance(labels, dict) or label not in labels:
            raise LabelError(f"{where}: field 'labels.{label}': missing")
        if label == "complaint" and not isinstance(labels[label], bool):
            raise LabelError(f"{where}: field 'labels.complaint': expected true or false")
        if label == "politeness" and labels[label] not in POLITENESS_CLASSES:
            raise LabelError(f"{where}: field 'labels.politeness': expected one of impolite|neutral|polite")
        found.append(LabelledText(raw["id"], raw["text"], labels, tuple(raw.get("annotations") or ())))
    return found
