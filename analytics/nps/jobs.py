"""Periodic NPS upkeep for the scheduler: replay the spool, then link surveys to late-arriving conversations."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session

from analytics.nps.recording import flush_spool, link_unlinked_responses


def nps_maintenance(session_factory: Callable[[], Session], spool_path: str | Path | None = None) -> dict[str, int]:
    """Run after each tracker sync (and every few minutes): {"replayed": n, "linked": m}."""
    replayed = flush_spool(session_factory, spool_path)
    with session_factory() as session, session.begin():
        linked = link_unlinked_responses(session)
    return {"replayed": replayed, "linked": linked}
