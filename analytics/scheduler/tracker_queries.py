"""Tracker-store questions the NPS triggers ask: who went quiet, and what is their current session."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from analytics.sync.tracker_events import (
    EVENTS,
    TrackerEvent,
    first_event_id_since,
    max_event_id,
    sender_events,
    session_start_id,
)

# How long after its timestamp an event may reach the table: Rasa saves a turn's events when the turn ends
# (after custom actions, up to their timeout), and several Rasa servers' clocks may differ a little.
LATE_INSERT_MARGIN_SECONDS = 600.0


def idle_senders(conn: Connection, now: float, idle_seconds: float, max_idle_seconds: float) -> list[tuple[str, float]]:
    """(sender, last message time) for senders whose last message is between ``idle`` and ``max_idle`` old,
    the longest quiet first.

    Reads only the events of the last ``max_idle`` (plus the late-insert margin), found by id: the table
    holds every conversation ever had and has no index on ``timestamp`` or ``type_name``. The grouping by
    sender is done here, over those few rows: in SQL, SQLite would walk the whole ``sender_id`` index to
    group instead of the short id range (measured: 0.5 s at 5 million events, benchmarks/tracker_scans.py).
    """
    since = now - max_idle_seconds
    from_id = first_event_id_since(conn, since - LATE_INSERT_MARGIN_SECONDS)
    rows = conn.execute(
        select(EVENTS.c.sender_id, EVENTS.c.timestamp).where(
            EVENTS.c.id >= from_id, EVENTS.c.type_name == "user", EVENTS.c.timestamp >= since
        )
    )
    last_message: dict[str, float] = {}
    for sender, stamp in rows:
        if sender not in last_message or stamp > last_message[sender]:
            last_message[sender] = float(stamp)
    quiet = [(sender, last) for sender, last in last_message.items() if last <= now - idle_seconds]
    return sorted(quiet, key=lambda item: (item[1], item[0]))


def current_session_events(conn: Connection, sender_id: str) -> list[TrackerEvent]:
    newest = max_event_id(conn)
    last_id = conn.execute(select(func.max(EVENTS.c.id)).where(EVENTS.c.sender_id == sender_id)).scalar()
    if last_id is None:
        return []
    return sender_events(conn, sender_id, session_start_id(conn, sender_id, last_id), newest)
