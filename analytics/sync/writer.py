"""Write session transcripts into conversations/turns: create, append what is new, or rebuild if they differ.

The caller owns the transaction. A transcript that is already stored as it is changes nothing, so the sync can
re-read a whole session whenever any of its events is new.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from analytics.bot_data.conversations import SOURCE
from analytics.storage.models import Conversation, Customer, HandoffTicket, Touchpoint, Turn
from analytics.sync.transcript import SessionTranscript, TranscriptTurn

CHANNEL = "web_chat"
# created: new conversation; appended: new turns; rebuilt: turns replaced; updated: only its fields changed
# (a ticket closed, a later touchpoint); unchanged; skipped: no customer turn yet.
Outcome = Literal["created", "appended", "rebuilt", "updated", "unchanged", "skipped"]
# A ticket opened by the action server is stamped a moment after the bot event that announced it.
HANDOFF_CLOCK_SLACK = timedelta(seconds=30)


@dataclass
class WriteContext:
    """Caches for one transaction: touchpoint ids by name, customers known to exist."""

    touchpoint_for: Callable[[Sequence[str]], str]
    touchpoint_ids: dict[str, int]
    known_customers: set[str]

    @classmethod
    def create(cls, touchpoint_for: Callable[[Sequence[str]], str]) -> WriteContext:
        return cls(touchpoint_for=touchpoint_for, touchpoint_ids={}, known_customers=set())


def _touchpoint_id(session: Session, context: WriteContext, name: str) -> int:
    if name not in context.touchpoint_ids:
        touchpoint = session.scalar(select(Touchpoint).where(Touchpoint.name == name))
        if touchpoint is None:
            touchpoint = Touchpoint(name=name)
            session.add(touchpoint)
            session.flush()
        context.touchpoint_ids[name] = touchpoint.id
    return context.touchpoint_ids[name]


def _ensure_customer(session: Session, context: WriteContext, customer_id: str) -> None:
    if customer_id in context.known_customers:
        return
    if session.get(Customer, customer_id) is None:
        session.add(Customer(id=customer_id))
        session.flush()
    context.known_customers.add(customer_id)


def handoff_note(session: Session, transcript: SessionTranscript) -> str | None:
    """ "Handed off to a human: ticket HO-… (reason), closed by …" for tickets opened during the session."""
    if transcript.started_at is None:
        return None
    query = select(HandoffTicket).where(
        HandoffTicket.sender_id == transcript.sender_id, HandoffTicket.created_at >= transcript.started_at
    )
    if transcript.last_event_at is not None:
        query = query.where(HandoffTicket.created_at <= transcript.last_event_at + HANDOFF_CLOCK_SLACK)
    tickets = session.scalars(query.order_by(HandoffTicket.created_at)).all()
    if not tickets:
        return None
    parts = []
    for ticket in tickets:
        part = f"ticket {ticket.ticket_number} ({ticket.reason.replace('_', ' ')}, {ticket.status}"
        part += f" by {ticket.closed_by})" if ticket.status == "closed" and ticket.closed_by else ")"
        parts.append(part)
    return "Handed off to a human: " + "; ".join(parts)


def _same(turn: Turn, wanted: TranscriptTurn) -> bool:
    return turn.speaker == wanted.speaker and turn.text == wanted.text and turn.ts == wanted.ts


def write_transcript(session: Session, context: WriteContext, transcript: SessionTranscript) -> Outcome:
    """Store one session as one Conversation (source "rasa", external id = the conversation key)."""
    if not transcript.has_customer_turn:
        return "skipped"  # a widget opened and closed, or only the greeting: nothing to learn from
    conversation = session.scalar(
        select(Conversation).where(Conversation.source == SOURCE, Conversation.external_id == transcript.external_id)
    )
    outcome: Outcome
    if conversation is None:
        conversation = Conversation(source=SOURCE, external_id=transcript.external_id, channel=CHANNEL)
        session.add(conversation)
        outcome = "created"
        existing: list[Turn] = []
    else:
        existing = list(conversation.turns)
        outcome = "unchanged"
    wanted = transcript.turns
    is_prefix = len(existing) <= len(wanted) and all(
        _same(turn, new) for turn, new in zip(existing, wanted, strict=False)
    )
    if not is_prefix:
        # The stored copy differs from the tracker (it cannot grow backwards): the tracker is the truth.
        conversation.turns.clear()
        session.flush()
        existing = []
        outcome = "rebuilt"
    for seq, turn in enumerate(wanted[len(existing) :], start=len(existing)):
        conversation.turns.append(Turn(seq=seq, speaker=turn.speaker, text=turn.text, ts=turn.ts))
        if outcome == "unchanged":
            outcome = "appended"

    if transcript.customer_id:
        _ensure_customer(session, context, transcript.customer_id)
    touchpoint_id = _touchpoint_id(session, context, context.touchpoint_for(transcript.intents))
    fields = {
        "channel": CHANNEL,
        "customer_id": transcript.customer_id,
        "touchpoint_id": touchpoint_id,
        "started_at": transcript.started_at,
        "ended_at": transcript.ended_at,
        "note": handoff_note(session, transcript),
    }
    for name, value in fields.items():
        if getattr(conversation, name) != value:
            setattr(conversation, name, value)
            if outcome == "unchanged":
                outcome = "updated"
    session.flush()
    return outcome
