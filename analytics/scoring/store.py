"""Database side of scoring: which conversations need (re)scoring, reading them, writing Score rows.

The caller owns the transaction (functions take a Session). Pure scoring lives elsewhere.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime, timedelta

from sqlalchemy import and_, delete, func, select
from sqlalchemy.orm import Session, selectinload

from analytics.scoring.types import DIMENSIONS, ConversationInput, ConversationScores, TurnInput
from analytics.storage.models import Conversation, Score
from analytics.timeutil import utcnow

FCR_WINDOW = timedelta(days=7)
IN_BATCH = 500


def _batches(values: Sequence[int], size: int = IN_BATCH) -> Iterator[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start:start + size]


def unscored_ids(session: Session, version: str) -> list[int]:
    """Conversations without a score of this version in every dimension (unscored or scored by another)."""
    current = (select(Score.conversation_id, func.count().label("n"))
               .where(Score.scorer_version == version).group_by(Score.conversation_id).subquery())
    query = (select(Conversation.id).outerjoin(current, current.c.conversation_id == Conversation.id)
             .where(func.coalesce(current.c.n, 0) < len(DIMENSIONS)).order_by(Conversation.id))
    return list(session.scalars(query))


def _contacts(session: Session, customer_ids: set[str]) -> list[tuple[int, str, int | None, datetime]]:
    rows: list[tuple[int, str, int | None, datetime]] = []
    ordered = sorted(customer_ids)
    for start in range(0, len(ordered), IN_BATCH):
        query = select(Conversation.id, Conversation.customer_id, Conversation.touchpoint_id,
                       Conversation.started_at).where(Conversation.customer_id.in_(ordered[start:start + IN_BATCH]),
                                                      Conversation.started_at.is_not(None))
        rows.extend(tuple(row) for row in session.execute(query))
    return rows


def ids_to_score(session: Session, version: str) -> list[int]:
    """Unscored or outdated conversations, plus the earlier contacts (same customer and touchpoint, within
    the 7-day window before) of those: a new conversation can end their first-contact resolution."""
    wanted = unscored_ids(session, version)
    if not wanted:
        return []
    wanted_set = set(wanted)
    heads: list[tuple[int, str, int | None, datetime]] = []
    for chunk in _batches(wanted):
        heads.extend(tuple(row) for row in session.execute(
            select(Conversation.id, Conversation.customer_id, Conversation.touchpoint_id, Conversation.started_at)
            .where(Conversation.id.in_(chunk), Conversation.customer_id.is_not(None),
                   Conversation.started_at.is_not(None))))
    new_starts: dict[tuple[str, int | None], list[datetime]] = defaultdict(list)
    for conversation_id, customer_id, touchpoint_id, started_at in heads:
        if conversation_id in wanted_set:
            new_starts[(customer_id, touchpoint_id)].append(started_at)
    extra = set()
    for conversation_id, customer_id, touchpoint_id, started_at in _contacts(session, {k[0] for k in new_starts}):
        if conversation_id in wanted_set:
            continue
        if any(started_at < new <= started_at + FCR_WINDOW for new in new_starts.get((customer_id, touchpoint_id), ())):
            extra.add(conversation_id)
    return sorted(wanted_set | extra)


def load_inputs(session: Session, ids: Sequence[int]) -> list[ConversationInput]:
    """The conversations with their turns, and first-contact resolution decided from the database."""
    conversations = list(session.scalars(select(Conversation).options(selectinload(Conversation.turns))
                                         .where(Conversation.id.in_(ids)).order_by(Conversation.id)))
    keyed = {c.customer_id for c in conversations if c.customer_id and c.started_at is not None}
    starts: dict[tuple[str, int | None], list[datetime]] = defaultdict(list)
    for _, customer_id, touchpoint_id, started_at in _contacts(session, keyed):
        starts[(customer_id, touchpoint_id)].append(started_at)
    inputs = []
    for conversation in conversations:
        fcr = None
        if conversation.customer_id and conversation.started_at is not None:
            begin = conversation.started_at
            fcr = not any(begin < other <= begin + FCR_WINDOW
                          for other in starts.get((conversation.customer_id, conversation.touchpoint_id), ()))
        inputs.append(ConversationInput(
            conversation_id=str(conversation.id),
            turns=tuple(TurnInput(turn.speaker, turn.text, turn.ts, turn.agent_id) for turn in conversation.turns),
            channel=conversation.channel, started_at=conversation.started_at, ended_at=conversation.ended_at,
            resolved_outcome=conversation.resolved_outcome, first_contact_resolution=fcr,
        ))
    return inputs


def save_scores(session: Session, results: Iterable[ConversationScores], scored_at: datetime | None = None) -> int:
    """Replaces the three Score rows of each conversation. Returns how many conversations were written."""
    scored_at = scored_at or utcnow()
    results = list(results)
    ids = [int(result.conversation_id) for result in results]
    for chunk in _batches(ids):
        session.execute(delete(Score).where(Score.conversation_id.in_(chunk)))
    session.add_all(
        Score(conversation_id=int(result.conversation_id), dimension=name, value=dimension.value,
              details=dimension.details, evidence=dimension.evidence, scorer_version=result.scorer_version,
              scored_at=scored_at)
        for result in results for name, dimension in result.dimensions().items()
    )
    session.flush()
    return len(results)


def scores_of(session: Session, conversation_id: int) -> dict[str, Score]:
    return {score.dimension: score for score in
            session.scalars(select(Score).where(and_(Score.conversation_id == conversation_id)))}
