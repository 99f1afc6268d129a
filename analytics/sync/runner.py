"""The incremental tracker sync: new tracker events since the cursor -> conversations and turns.

- Incremental: a SyncCursor (one per tracker database) holds the last event id read.
- Idempotent: every sender touched by new events has its whole current session re-read and written with
  ``write_transcript``, which only appends what is new; running it twice adds nothing.
- Safe with concurrent writers: on PostgreSQL a transaction holding a lower event id can commit after a
  higher one was already read. The cursor therefore stops before the events of the last ``settle_seconds``;
  those are read again next time (without effect if nothing changed), so no late commit is ever skipped.
- One bad event never stops it: text is cleaned as it is read (``tracker_events``); an event whose data
  cannot be read, or a conversation the database refuses, is set aside in ``sync_rejects`` with the reason
  (see ``rejects``) and the cursor moves on. Only an unreachable database stops a run (tried again later).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from analytics.storage.models import SyncCursor
from analytics.sync.rejects import Reject, is_transient, record_rejects, rejects_for_failure
from analytics.sync.tracker_events import (
    TrackerEvent,
    first_new_event_by_sender,
    has_events_table,
    last_event_id_at_or_before,
    max_event_id,
    sender_events,
    session_start_id,
)
from analytics.sync.transcript import transcripts_for_sender
from analytics.sync.writer import WriteContext, write_transcript
from analytics.text_safety import clean_text
from analytics.timeutil import utcnow

DEFAULT_BATCH_EVENTS = 2000
DEFAULT_SETTLE_SECONDS = 10.0


@dataclass
class SyncReport:
    tracker_found: bool = True
    cursor_before: int = 0
    cursor_after: int = 0
    events_read: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)
    set_aside: int = 0  # events newly set aside in sync_rejects by this run

    def count(self, outcome: str) -> int:
        return self.outcomes.get(outcome, 0)

    @property
    def changed(self) -> int:
        """Conversations created or changed (re-reads that changed nothing do not count)."""
        return sum(count for name, count in self.outcomes.items() if name not in ("unchanged", "skipped"))

    def summary(self) -> str:
        if not self.tracker_found:
            return "no tracker events yet (Rasa has not stored any conversation)"
        done = ", ".join(f"{count} {name}" for name, count in sorted(self.outcomes.items())) or "nothing new"
        aside = f"; {self.set_aside} events set aside (see the sync_rejects table)" if self.set_aside else ""
        return f"{self.events_read} tracker events read: conversations {done}{aside}"


def cursor_name(tracker_engine: Engine) -> str:
    """One cursor per tracker database (its URL without password, hashed to fit the column)."""
    url = tracker_engine.url.render_as_string(hide_password=True)
    return "rasa-tracker:" + hashlib.sha256(url.encode()).hexdigest()[:16]


def _read_cursor(session: Session, name: str) -> int:
    cursor = session.get(SyncCursor, name)
    return int(cursor.position) if cursor and cursor.position.isdigit() else 0


def _save_cursor(session: Session, name: str, position: int) -> None:
    cursor = session.get(SyncCursor, name)
    if cursor is None:
        session.add(SyncCursor(name=name, position=str(position), updated_at=utcnow()))
    else:
        cursor.position = str(position)
        cursor.updated_at = utcnow()


def _settled_event_id(tracker_engine: Engine, before_timestamp: float) -> int:
    with tracker_engine.connect() as conn:
        return last_event_id_at_or_before(conn, before_timestamp)


def default_touchpoint_for(intents: Sequence[str]) -> str:
    from analytics.bot_data.touchpoints import touchpoint_for_intents

    return touchpoint_for_intents(intents)


def sync_tracker(
    tracker_engine: Engine,
    session_factory: sessionmaker[Session],
    *,
    batch_events: int = DEFAULT_BATCH_EVENTS,
    settle_seconds: float = DEFAULT_SETTLE_SECONDS,
    now: float | None = None,
    touchpoint_for: Callable[[Sequence[str]], str] = default_touchpoint_for,
    on_progress: Callable[[int, int], None] | None = None,
) -> SyncReport:
    """Copy what is new in the tracker store; ``on_progress(done, total)`` counts event ids."""
    if not has_events_table(tracker_engine):
        return SyncReport(tracker_found=False)
    name = cursor_name(tracker_engine)
    with session_factory() as session:
        cursor = _read_cursor(session, name)
    with tracker_engine.connect() as conn:
        newest = max_event_id(conn)
    if newest < cursor:
        cursor = 0  # the tracker database was recreated: its ids start again
    report = SyncReport(cursor_before=cursor, cursor_after=cursor)
    settled = _settled_event_id(tracker_engine, (time.time() if now is None else now) - settle_seconds)
    position = cursor
    while position < newest:
        upto = min(newest, position + batch_events)
        with tracker_engine.connect() as conn:
            touched = first_new_event_by_sender(conn, position, upto)
            events_by_sender = {
                sender: sender_events(conn, sender, session_start_id(conn, sender, first_id), upto)
                for sender, first_id in touched.items()
            }
        rejects = [
            Reject(event.id, sender, event.type_name, event.problem)
            for sender, events in events_by_sender.items()
            for event in events
            if event.problem is not None and event.id > position
        ]
        rejects += _write_batch(session_factory, touchpoint_for, events_by_sender, position, report)
        with session_factory.begin() as session:
            report.set_aside += record_rejects(session, name, rejects)
            report.cursor_after = max(report.cursor_after, min(upto, settled))
            _save_cursor(session, name, report.cursor_after)
        report.events_read += upto - position
        position = upto
        if on_progress:
            on_progress(position - cursor, newest - cursor)
    return report


def _write_senders(
    session: Session,
    touchpoint_for: Callable[[Sequence[str]], str],
    events_by_sender: dict[str, list[TrackerEvent]],
) -> dict[str, int]:
    outcomes: dict[str, int] = {}
    context = WriteContext.create(touchpoint_for)
    for sender, events in events_by_sender.items():
        for transcript in transcripts_for_sender(clean_text(sender), events):
            outcome = write_transcript(session, context, transcript)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def _write_batch(
    session_factory: sessionmaker[Session],
    touchpoint_for: Callable[[Sequence[str]], str],
    events_by_sender: dict[str, list[TrackerEvent]],
    position: int,
    report: SyncReport,
) -> list[Reject]:
    """Write a batch's conversations in one transaction; if that fails (not for an unreachable database),
    write them again one sender a transaction and set aside the new events of each sender that fails."""
    try:
        with session_factory.begin() as session:
            outcomes = _write_senders(session, touchpoint_for, events_by_sender)
    except Exception as exc:
        if is_transient(exc):
            raise
    else:
        _add_outcomes(report, outcomes)
        return []
    rejects: list[Reject] = []
    for sender, events in events_by_sender.items():
        try:
            with session_factory.begin() as session:
                outcomes = _write_senders(session, touchpoint_for, {sender: events})
        except Exception as exc:
            if is_transient(exc):
                raise
            rejects += rejects_for_failure(sender, events, position, exc)
        else:
            _add_outcomes(report, outcomes)
    return rejects


def _add_outcomes(report: SyncReport, outcomes: dict[str, int]) -> None:
    for outcome, count in outcomes.items():
        report.outcomes[outcome] = report.outcomes.get(outcome, 0) + count
