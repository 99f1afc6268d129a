"""Tracker events the sync sets aside: unreadable ones, and the new events of a conversation the database
refused. Each is a ``sync_rejects`` row (tracker, event id, sender, reason), written once however often the
event is read again; the sync moves past them instead of failing on them at every run."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import exc as sa_exc
from sqlalchemy import select
from sqlalchemy.orm import Session

from analytics.storage.models import SyncReject
from analytics.sync.tracker_events import TrackerEvent
from analytics.text_safety import clean_text
from analytics.timeutil import utcnow

logger = logging.getLogger(__name__)

# The database is unreachable or busy: nothing is wrong with the events, the whole run is tried again later.
TRANSIENT_ERRORS = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.DisconnectionError, sa_exc.TimeoutError)
MAX_REASON_CHARACTERS = 1000


@dataclass(frozen=True, slots=True)
class Reject:
    event_id: int
    sender_id: str
    type_name: str | None
    reason: str


def is_transient(error: BaseException) -> bool:
    return isinstance(error, TRANSIENT_ERRORS)


def describe(error: BaseException) -> str:
    """One line: the error's type and first line (SQLAlchemy's own text, e.g. the driver's refusal)."""
    text = str(getattr(error, "orig", None) or error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}".strip()


def rejects_for_failure(sender_id: str, events: Sequence[TrackerEvent], after_id: int,
                        error: BaseException) -> list[Reject]:
    """The new events (id > ``after_id``) of a sender whose conversation could not be written."""
    reason = f"its conversation could not be written: {describe(error)}"
    logger.warning("tracker sync: sender %r set aside: %s", sender_id, reason)
    return [Reject(event.id, sender_id, event.type_name, reason) for event in events if event.id > after_id]


def record_rejects(session: Session, cursor_name: str, rejects: Sequence[Reject]) -> int:
    """Store the rejects not stored yet (an event can be read again before it settles); return how many."""
    if not rejects:
        return 0
    wanted = {reject.event_id: reject for reject in rejects}
    known = set(session.scalars(select(SyncReject.event_id).where(
        SyncReject.cursor_name == cursor_name, SyncReject.event_id.in_(list(wanted)))))
    now = utcnow()
    new = [reject for event_id, reject in sorted(wanted.items()) if event_id not in known]
    for reject in new:
        logger.warning("tracker sync: event %d of %r set aside: %s", reject.event_id, reject.sender_id,
                       reject.reason)
        session.add(SyncReject(
            cursor_name=cursor_name, event_id=reject.event_id, sender_id=clean_text(reject.sender_id)[:255],
            type_name=clean_text(reject.type_name or "")[:255] or None,
            reason=clean_text(reject.reason)[:MAX_REASON_CHARACTERS], set_aside_at=now,
        ))
    session.flush()
    return len(new)
