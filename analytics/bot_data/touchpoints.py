"""Which touchpoint (support topic) a bot conversation belongs to, from the customer's intents.

One rule for the action server (NPS rows) and the tracker sync (Conversation.touchpoint), with the intent
lists in ``bot/knowledge/touchpoints.yml``: the touchpoint with the most customer messages wins, a tie goes
to the one raised first, and a conversation with no topical message gets the default ("general").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from analytics.bot_data.knowledge import get_knowledge


def touchpoint_for_intents(
    intents: Iterable[str | None], by_intent: Mapping[str, str] | None = None, default: str | None = None
) -> str:
    """The conversation's touchpoint; ``by_intent``/``default`` default to the knowledge files' mapping."""
    if by_intent is None or default is None:
        knowledge = get_knowledge()
        by_intent = knowledge.touchpoint_by_intent if by_intent is None else by_intent
        default = knowledge.touchpoint_default if default is None else default
    counts: dict[str, int] = {}  # insertion order = order first raised
    for intent in intents:
        touchpoint = by_intent.get(intent or "")
        if touchpoint:
            counts[touchpoint] = counts.get(touchpoint, 0) + 1
    if not counts:
        return default
    return max(counts, key=lambda name: counts[name])  # max keeps the first of equal counts
