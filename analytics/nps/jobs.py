"""Periodic NPS upkeep for the scheduler: replay the spool, then link surveys to late-arriving conversations."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session

from analytics.nps.recording import flush_spool, link_unlinked_responses


def nps_maintenance(session_factory: Callable[[], Session], spool_path: str | Path | None = None) -> dict[str, int]:
    """The scheduler's ``nps_upkeep`` job (its own schedule, not tied to the sync) and ``cxqa sync`` run it:
    {"replayed": n, "linked": m}."""
    replayed = flush_spool(session_factory, spool_path)
    with session_factory() as session, session.begin():
        linked = link_unlinked_responses(session)
    return {"replayed": replayed, "linked": linked}
