"""Human agents close handoff tickets; closing one makes the customer eligible for the NPS survey."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from analytics.storage.models import Agent, HandoffTicket
from analytics.timeutil import utcnow

AGENT_ID_MAX = 128


class HandoffError(ValueError):
    """The ticket cannot be closed as asked; the message says why."""


def list_tickets(session: Session, include_closed: bool = False) -> list[HandoffTicket]:
    query = select(HandoffTicket).order_by(HandoffTicket.created_at)
    if not include_closed:
        query = query.where(HandoffTicket.status != "closed")
    return list(session.scalars(query))


def close_ticket(session: Session, ticket_number: str, agent_id: str) -> HandoffTicket:
    """Mark the ticket closed by ``agent_id`` (an Agent row is created if the id is new)."""
    agent_id = agent_id.strip()
    if not agent_id or len(agent_id) > AGENT_ID_MAX:
        raise HandoffError(f"agent id must be 1 to {AGENT_ID_MAX} characters")
    ticket = session.scalar(select(HandoffTicket).where(HandoffTicket.ticket_number == ticket_number.strip()))
    if ticket is None:
        raise HandoffError(f"no handoff ticket {ticket_number!r} (see `cxqa handoff list`)")
    if ticket.status == "closed":
        raise HandoffError(
            f"ticket {ticket.ticket_number} was already closed by {ticket.closed_by} at {ticket.closed_at}"
        )
    if session.get(Agent, agent_id) is None:
        session.add(Agent(id=agent_id))
    ticket.status = "closed"
    ticket.closed_at = utcnow()
    ticket.closed_by = agent_id
    session.flush()
    return ticket
