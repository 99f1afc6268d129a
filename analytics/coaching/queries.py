"""SQL for gap reports: mean scores per agent or per touchpoint and dimension, and per-conversation values.

A conversation's score counts for every agent who wrote in it. Bot conversations (bot turns, no human agent)
are reported under the subject "bot", so the bot touchpoint is measured like any agent.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, distinct, exists, func, literal, select, union_all
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from analytics.coaching.gaps import DimensionStats
from analytics.storage.models import Conversation, Score, Touchpoint, Turn

BOT_SUBJECT = "bot"


def _participants() -> Select:
    """(conversation_id, subject): each human agent of a conversation, or "bot" where only the bot answered."""
    agents = select(Turn.conversation_id.label("conversation_id"), Turn.agent_id.label("subject")).where(
        Turn.agent_id.is_not(None)).distinct()
    no_agent = ~exists().where(and_(Turn.conversation_id == Conversation.id, Turn.speaker == "agent"))
    has_bot = exists().where(and_(Turn.conversation_id == Conversation.id, Turn.speaker == "bot"))
    bots = select(Conversation.id.label("conversation_id"), literal(BOT_SUBJECT).label("subject")).where(
        has_bot, no_agent)
    return union_all(agents, bots)


def _window(query: Select, since: datetime | None, until: datetime | None) -> Select:
    if since is not None:
        query = query.where(Conversation.started_at >= since)
    if until is not None:
        query = query.where(Conversation.started_at < until)
    return query


def agent_stats(session: Session, since: datetime | None = None, until: datetime | None = None,
                agent_id: str | None = None) -> list[DimensionStats]:
    participants = _participants().subquery()
    query = (
        select(participants.c.subject, Score.dimension, func.avg(Score.value),
               func.count(distinct(Score.conversation_id)))
        .join(Score, Score.conversation_id == participants.c.conversation_id)
        .join(Conversation, Conversation.id == Score.conversation_id)
        .where(Score.value.is_not(None))
        .group_by(participants.c.subject, Score.dimension)
    )
    if agent_id is not None:
        query = query.where(participants.c.subject == agent_id)
    rows = session.execute(_window(query, since, until)).all()
    return [DimensionStats(str(subject), dimension, float(mean), int(n)) for subject, dimension, mean, n in rows]


def touchpoint_stats(session: Session, since: datetime | None = None, until: datetime | None = None
                     ) -> list[DimensionStats]:
    """Mean scores per touchpoint and channel ("warranty / web_chat"), human and bot conversations alike."""
    label = func.coalesce(Touchpoint.name, "(none)") + literal(" / ") + Conversation.channel
    query = (
        select(label, Score.dimension, func.avg(Score.value), func.count(distinct(Score.conversation_id)))
        .join(Conversation, Conversation.id == Score.conversation_id)
        .outerjoin(Touchpoint, Touchpoint.id == Conversation.touchpoint_id)
        .where(Score.value.is_not(None))
        .group_by(label, Score.dimension)
    )
    rows = session.execute(_window(query, since, until)).all()
    return [DimensionStats(str(subject), dimension, float(mean), int(n)) for subject, dimension, mean, n in rows]


def conversation_values(session: Session, agent_id: str, dimension: str, since: datetime | None,
                        until: datetime | None, touchpoint: str | None = None) -> list[float]:
    """One score per conversation of the agent in the window (for before/after comparisons)."""
    participants = _participants().subquery()
    query = (
        select(Score.value)
        .join(participants, participants.c.conversation_id == Score.conversation_id)
        .join(Conversation, Conversation.id == Score.conversation_id)
        .where(participants.c.subject == agent_id, Score.dimension == dimension, Score.value.is_not(None))
    )
    if touchpoint is not None:
        query = query.join(Touchpoint, Touchpoint.id == Conversation.touchpoint_id).where(
            Touchpoint.name == touchpoint)
    return [float(value) for value in session.scalars(_window(query, since, until))]
