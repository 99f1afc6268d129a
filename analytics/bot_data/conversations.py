"""How a bot conversation is named outside Rasa.

A Rasa sender id can hold many conversations: each session (``session_started`` event) is one. The
conversation's external id, and the key of its NPS survey, is ``<sender_id>:<session start in ms>``; the
tracker sync and the NPS actions both use ``conversation_key`` so the rows link up.
"""

from __future__ import annotations

SOURCE = "rasa"


def conversation_key(sender_id: str, session_started_at: float | None) -> str:
    """``sender_id`` plus the session's start (Rasa event timestamp, Unix seconds) in whole milliseconds."""
    millis = 0 if session_started_at is None else int(round(float(session_started_at) * 1000))
    return f"{sender_id[:200]}:{millis}"  # survey keys hold 255 characters
