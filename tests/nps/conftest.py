"""Builders shared by the NPS tests (real rows in the real test databases), offered as fixtures."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pytest
from sqlalchemy.orm import Session

from analytics.storage.models import Agent, Conversation, Customer, Touchpoint, Turn


def add_conversation(
    session: Session,
    external_id: str,
    *,
    source: str = "import",
    channel: str = "phone",
    touchpoint: str | None = "warranty",
    customer_id: str | None = "cust-1",
    segment: str | None = "consumer",
    agents: tuple[str, ...] = ("agent-a",),
    started_at: datetime = datetime(2026, 11, 2, 9, 0),
) -> Conversation:
    touchpoint_row = None
    if touchpoint:
        touchpoint_row = session.query(Touchpoint).filter_by(name=touchpoint).one_or_none() or Touchpoint(
            name=touchpoint
        )
    if customer_id and session.get(Customer, customer_id) is None:
        session.add(Customer(id=customer_id, segment=segment))
    for agent in agents:
        if session.get(Agent, agent) is None:
            session.add(Agent(id=agent, name=agent.title()))
    session.flush()
    conversation = Conversation(
        source=source, external_id=external_id, channel=channel, touchpoint=touchpoint_row,
        customer_id=customer_id, started_at=started_at,
    )
    conversation.turns.append(Turn(seq=0, speaker="customer", text="Hello", ts=started_at))
    for seq, agent in enumerate(agents, start=1):
        conversation.turns.append(Turn(seq=seq, speaker="agent", agent_id=agent, text="Hi, how can I help?"))
    session.add(conversation)
    session.flush()
    return conversation


@pytest.fixture
def conversation_builder() -> Callable[..., Conversation]:
    return add_conversation
