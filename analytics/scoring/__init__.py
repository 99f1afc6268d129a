"""Transcript scoring: politeness, resolution efficiency and complaint de-escalation, with evidence.

The pure API (no database): ``score_conversation(conversation) -> ConversationScores`` and ``Scorer`` for
streams. spaCy is imported only when these are first used, so ``cxqa --help`` stays fast.
"""

from __future__ import annotations

from typing import Any

from analytics.scoring.types import (
    DIMENSIONS,
    ConversationInput,
    ConversationScores,
    DimensionResult,
    TurnInput,
)

__all__ = ["DIMENSIONS", "ConversationInput", "ConversationScores", "DimensionResult", "Scorer", "TurnInput",
           "score_conversation", "scorer_version"]


def __getattr__(name: str) -> Any:
    if name in {"Scorer", "score_conversation"}:
        from analytics.scoring import conversation

        return getattr(conversation, name)
    if name == "scorer_version":
        from analytics.scoring.resources import scorer_version

        return scorer_version
    raise AttributeError(name)
