"""Rasa's tracker ``events`` table for tests: created exactly as Rasa 3.6's SQLTrackerStore defines it, and
filled with rows recorded from a real Rasa run (tests/runtime/data/tracker_events.jsonl, made by
``python -m tests.support.record_tracker_events``)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import Column, Engine, Float, Integer, MetaData, String, Table, Text, insert

DATA_DIR = Path(__file__).resolve().parents[1] / "runtime" / "data"
RECORDED_EVENTS = DATA_DIR / "tracker_events.jsonl"
RECORDED_TICKETS = DATA_DIR / "handoff_tickets.jsonl"

# rasa/core/tracker_store.py, SQLTrackerStore.SQLEvent (Rasa 3.6.21).
metadata = MetaData()
EVENTS_TABLE = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


def create_events_table(engine: Engine) -> None:
    metadata.create_all(engine)


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
