"""Rasa's tracker ``events`` table for tests: created exactly as Rasa 3.6's SQLTrackerStore defines it
(``analytics.sync.rasa_events_schema``), and filled with rows recorded from a real Rasa run
(tests/runtime/data/tracker_events.jsonl, made by ``python -m tests.support.record_tracker_events``)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert

from analytics.sync.rasa_events_schema import EVENTS_TABLE, create_events_table

__all__ = ["EVENTS_TABLE", "create_events_table", "insert_events", "read_jsonl", "recorded_events"]

DATA_DIR = Path(__file__).resolve().parents[1] / "runtime" / "data"
RECORDED_EVENTS = DATA_DIR / "tracker_events.jsonl"
RECORDED_TICKETS = DATA_DIR / "handoff_tickets.jsonl"


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def recorded_events() -> list[dict[str, Any]]:
    """The recorded rows, in id order (``id`` kept: the sync's cursor is about ids)."""
    return read_jsonl(RECORDED_EVENTS)


def insert_events(engine: Engine, rows: Iterable[dict[str, Any]]) -> None:
    rows = [{**row, "data": row["data"] if isinstance(row["data"], str) else json.dumps(row["data"])} for row in rows]
    if rows:
        with engine.begin() as conn:
            conn.execute(insert(EVENTS_TABLE), rows)
