"""Closed-loop rules for detractors (pure): who needs a call back, and by when."""

from __future__ import annotations

from datetime import datetime, timedelta

FOLLOWUP_WINDOW = timedelta(hours=48)
FOLLOWUP_STATUSES = ("open", "in_progress", "closed")
DETRACTOR_MAX_SCORE = 6
PROMOTER_MIN_SCORE = 9


def is_detractor(status: str, score: int | None) -> bool:
    return status == "answered" and score is not None and score <= DETRACTOR_MAX_SCORE


def followup_state(
    *, detractor: bool, current_status: str | None, current_due: datetime | None, responded_at: datetime
) -> tuple[str | None, datetime | None]:
    """The follow-up (status, due) after a survey is recorded or updated.

    A new detractor gets an open follow-up due 48 hours after the answer. Work already started (in progress,
    closed) is never reset by a re-import or a repeated call. If an update shows the answer is no longer a
    detractor, an untouched open follow-up is withdrawn.
    """
    if detractor:
        if current_status is None:
            return "open", responded_at + FOLLOWUP_WINDOW
        return current_status, current_due
    if current_status == "open":
        return None, None
    return current_status, current_due
