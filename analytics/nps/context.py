"""What a survey borrows from the rest of the database: its conversation and the customer's segment.

Lookups are batched (one query per batch of keys), so the CSV import and the late linker stay fast.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from analytics.storage.models import Conversation, Customer, Touchpoint, Turn

BATCH_SIZE = 500


@dataclass(frozen=True, slots=True)
class ConversationContext:
    id: int
    touchpoint: str | None
    channel: str | None
    customer_id: str | None
    agent_ids: tuple[str, ...]


def _batches(items: list, size: int = BATCH_SIZE) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def conversation_contexts(session: Session, source: str, external_ids: Iterable[str]) -> dict[str, ConversationContext]:
    """The conversations of ``source`` with these external ids, with touchpoint name and agents (in turn order)."""
    wanted = sorted({external_id for external_id in external_ids if external_id})
    found: dict[str, ConversationContext] = {}
    for batch in _batches(wanted):
        rows = session.execute(
            select(Conversation.id, Conversation.external_id, Touchpoint.name, Conversation.channel,
                   Conversation.customer_id)
            .outerjoin(Touchpoint, Touchpoint.id == Conversation.touchpoint_id)
            .where(Conversation.source == source, Conversation.external_id.in_(batch))
        ).all()
        agents: dict[int, dict[str, None]] = {row.id: {} for row in rows}
        if rows:
            for conversation_id, agent_id in session.execute(
                select(Turn.conversation_id, Turn.agent_id)
                .where(Turn.conversation_id.in_(list(agents)), Turn.agent_id.is_not(None))
                .order_by(Turn.conversation_id, Turn.seq)
            ):
                agents[conversation_id].setdefault(agent_id)
        for row in rows:
            found[row.external_id] = ConversationContext(
                id=row.id, touchpoint=row.name, channel=row.channel, customer_id=row.customer_id,
                agent_ids=tuple(agents[row.id]),
            )
    return found


def customer_segments(session: Session, customer_ids: Iterable[str | None]) -> dict[str, str | None]:
    wanted = sorted({customer_id for customer_id in customer_ids if customer_id})
    segments: dict[str, str | None] = {}
    for batch in _batches(wanted):
        segments.update(session.execute(select(Customer.id, Customer.segment).where(Customer.id.in_(batch))).all())
    return segments
