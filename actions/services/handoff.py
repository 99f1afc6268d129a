"""Hand a conversation to a human: a ticket with a short summary an agent can read in ten seconds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.services.claims import new_reference
from actions.services.conversation import CustomerMessage
from analytics.bot_data.knowledge import HandoffSettings
from analytics.storage.models import HandoffTicket
from analytics.text_safety import clean_optional, clean_text

TICKET_PREFIX = "HO-"
MAX_SUMMARY_CHARS = 2000


def _shorten(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: max(0, limit - 1)].rstrip() + "…"


def summarize(*, touchpoint: str, reason: str, details: Mapping[str, str | None],
              messages: Sequence[CustomerMessage], settings: HandoffSettings) -> str:
    """"Topic: warranty. Reason: frustration. Details: serial AS26000101. Customer said: "..." / "..."."""
    parts = [f"Topic: {touchpoint}.", f"Reason: {reason.replace('_', ' ')}."]
    known = [f"{name} {value}" for name, value in details.items() if value]
    if known:
        parts.append("Details: " + "; ".join(known) + ".")
    quoted = [m.text for m in messages if m.text.strip() and not m.text.startswith("/")]
    recent = quoted[-settings.summary_messages:]
    if recent:
        said = " / ".join(f'"{_shorten(text, settings.summary_message_chars)}"' for text in recent)
        parts.append(f"Customer said: {said}.")
    else:
        parts.append("The customer wrote nothing yet.")
    return _shorten(" ".join(parts), MAX_SUMMARY_CHARS)


def reason_for_intent(intent: str | None, settings: HandoffSettings) -> str:
    return settings.reasons.get(intent or "", settings.default_reason)


def open_ticket(session: Session, *, sender_id: str | None, reason: str, summary: str,
                now: datetime) -> HandoffTicket:
    ticket_number = new_reference(TICKET_PREFIX)
    while session.scalar(select(HandoffTicket.id).where(HandoffTicket.ticket_number == ticket_number)) is not None:
        ticket_number = new_reference(TICKET_PREFIX)
    # The summary quotes the customer: no NUL or lone surrogate may reach the database (it would refuse the row).
    ticket = HandoffTicket(ticket_number=ticket_number, sender_id=clean_optional(sender_id), reason=reason[:32],
                           summary=clean_text(summary), status="open", created_at=now)
    session.add(ticket)
    session.flush()
    return ticket
