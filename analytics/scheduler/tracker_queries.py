"""Tracker-store questions the NPS triggers ask: who went quiet, and what is their current session."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from analytics.sync.tracker_events import EVENTS, TrackerEvent, max_event_id, sender_events, session_start_id


def idle_senders(conn: Connection, now: float, idle_seconds: float, max_idle_seconds: float) -> list[tuple[str, float]]:
    """(sender, last message time) for senders whose last message is between ``idle`` and ``max_idle`` old."""
    last_message = func.max(EVENTS.c.timestamp)
    rows = conn.execute(
        select(EVENTS.c.sender_id, last_message)
        .where(EVENTS.c.type_name == "user", EVENTS.c.timestamp >= now - max_idle_seconds)
        .group_by(EVENTS.c.sender_id)
        .having(last_message <= now - idle_seconds)
        .order_by(last_message)
    )
    return [(sender, float(last)) for sender, last in rows]


def current_session_events(conn: Connection, sender_id: str) -> list[TrackerEvent]:
    newest = max_event_id(conn)
    last_id = conn.execute(select(func.max(EVENTS.c.id)).where(EVENTS.c.sender_id == sender_id)).scalar()
    if last_id is None:
        return []
    return sender_events(conn, sender_id, session_start_id(conn, sender_id, last_id), newest)
