"""Small builders of hand-written transcripts for the scoring tests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from analytics.scoring.types import ConversationInput, TurnInput

T0 = datetime(2026, 3, 2, 9, 0, 0)


def transcript(turns: Sequence[tuple[str, str]], *, conversation_id: str = "c1", gap_seconds: int = 40,
               agent_id: str = "agent-7", **fields) -> ConversationInput:
    """A conversation from (speaker, text) pairs, one turn every ``gap_seconds``."""
    return ConversationInput(
        conversation_id=conversation_id,
        turns=tuple(TurnInput(speaker, text, T0 + timedelta(seconds=gap_seconds * index),
                              agent_id if speaker == "agent" else None)
                    for index, (speaker, text) in enumerate(turns)),
        channel=fields.pop("channel", "web_chat"),
        **fields,
    )
