"""Read Rasa's SQL tracker store: its one ``events`` table (id, sender_id, type_name, timestamp, intent_name,
action_name, data = the event as JSON). Read-only; Core queries so it works on SQLite and PostgreSQL alike.

Untrusted text is cleaned here, where it enters: Rasa stores a message's NULs and lone surrogates as JSON
escapes, which neither of our databases can store once parsed (``analytics.text_safety.clean_json``). An
event whose data cannot be read at all keeps ``problem`` set, for the sync to set aside.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Float, Integer, String, Text, column, func, inspect, select, table

from analytics.text_safety import clean_json, clean_optional, json_text_may_be_unsafe

EVENTS = table(
    "events",
    column("id", Integer),
    column("sender_id", String),
    column("type_name", String),
    column("timestamp", Float),
    column("intent_name", String),
    column("action_name", String),
    column("data", Text),
)


@dataclass(frozen=True)
class TrackerEvent:
    id: int
    sender_id: str
    type_name: str
    timestamp: float | None
    intent_name: str | None
    action_name: str | None
    data: dict[str, Any]
    problem: str | None = None  # why the event's data could not be read (the event then counts as empty)


def has_events_table(engine: Engine) -> bool:
    """False until Rasa has run once against this database."""
    return inspect(engine).has_table("events")


def _event_data(raw: Any) -> tuple[dict[str, Any], str | None]:
    if not raw:
        return {}, None
    try:
        data = json.loads(raw)
        if isinstance(data, dict) and json_text_may_be_unsafe(raw):
            data = clean_json(data)
    except RecursionError:
        return {}, "data nested too deeply to read"
    except (TypeError, ValueError) as exc:
        return {}, f"data is not valid JSON ({exc})"[:300]
    if not isinstance(data, dict):
        return {}, f"data is a JSON {type(data).__name__}, not an object"
    return data, None


def _event(row: Any) -> TrackerEvent:
    data, problem = _event_data(row.data)
    return TrackerEvent(
        id=row.id,
        sender_id=row.sender_id,  # kept as stored: it is the key of the queries (the sync cleans its copy)
        type_name=clean_optional(row.type_name) or "",
        timestamp=row.timestamp,
        intent_name=clean_optional(row.intent_name),
        action_name=clean_optional(row.action_name),
        data=data,
        problem=problem,
    )


def max_event_id(conn: Connection) -> int:
    return conn.execute(select(func.max(EVENTS.c.id))).scalar() or 0


def last_event_id_at_or_before(conn: Connection, timestamp: float) -> int:
    """The highest id of an event stamped at or before ``timestamp`` (0 if none).

    Written as a walk down the primary key that stops at the first match, so it reads only the events newer
    than ``timestamp`` whatever the planner (SQLite and PostgreSQL both plan ``max(id) WHERE timestamp <= t``
    that way too, measured in benchmarks/tracker_scans.py; this form does not depend on it).
    """
    found = conn.execute(
        select(EVENTS.c.id).where(EVENTS.c.timestamp <= timestamp).order_by(EVENTS.c.id.desc()).limit(1)
    ).scalar()
    return found or 0


def first_event_id_since(conn: Connection, timestamp: float) -> int:
    """The lowest id from which every event stamped at or after ``timestamp`` lies (past the newest if none).

    Rasa has no index on ``timestamp``, but its ids grow with time: Rasa stamps an event, then inserts it
    when it saves the tracker, moments later. So this bisects the id range, one primary-key lookup per step
    (about 23 for 5 million events), instead of scanning the table. Events stamped well before they were
    inserted can hide behind the answer: callers ask for a margin earlier than they need (see
    ``LATE_INSERT_MARGIN_SECONDS`` in ``analytics.scheduler.tracker_queries``). Events without a timestamp
    (Rasa stamps every event) fall on either side.
    """
    low, high = 0, max_event_id(conn) + 1  # every event below ``low`` is older, every one from ``high`` newer
    while low < high:
        middle = (low + high) // 2
        row = conn.execute(
            select(EVENTS.c.id, EVENTS.c.timestamp)
            .where(EVENTS.c.id >= middle, EVENTS.c.timestamp.is_not(None))
            .order_by(EVENTS.c.id)
            .limit(1)
        ).first()
        if row is None or row.timestamp >= timestamp:
            high = middle  # the first stamped event from ``middle`` on is newer, so all after it are
        else:
            low = row.id + 1  # ``row`` and every event before it are older
    return low


def first_new_event_by_sender(conn: Connection, after_id: int, upto_id: int) -> dict[str, int]:
    """Senders with events in (after_id, upto_id], each with the id of its first such event."""
    rows = conn.execute(
        select(EVENTS.c.sender_id, func.min(EVENTS.c.id))
        .where(EVENTS.c.id > after_id, EVENTS.c.id <= upto_id)
        .group_by(EVENTS.c.sender_id)
    )
    return {sender_id: first_id for sender_id, first_id in rows}


def session_start_id(conn: Connection, sender_id: str, at_or_before_id: int) -> int:
    """Where the session holding event ``at_or_before_id`` begins: its ``session_started`` event, else the
    sender's first event (trackers from before sessions existed)."""
    started = conn.execute(
        select(func.max(EVENTS.c.id)).where(
            EVENTS.c.sender_id == sender_id,
            EVENTS.c.type_name == "session_started",
            EVENTS.c.id <= at_or_before_id,
        )
    ).scalar()
    if started is not None:
        return started
    return conn.execute(select(func.min(EVENTS.c.id)).where(EVENTS.c.sender_id == sender_id)).scalar() or 0


def sender_events(conn: Connection, sender_id: str, from_id: int, upto_id: int) -> list[TrackerEvent]:
    rows = conn.execute(
        select(EVENTS)
        .where(EVENTS.c.sender_id == sender_id, EVENTS.c.id >= from_id, EVENTS.c.id <= upto_id)
        .order_by(EVENTS.c.id)
    )
    return [_event(row) for row in rows]
