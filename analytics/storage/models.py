"""SQLAlchemy 2.x typed models.

All timestamps are stored as naive UTC datetimes: SQLite keeps no time zone, and one convention on both
databases keeps comparisons simple. Convert at the edges (import, display) with ``analytics.timeutil``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

SPEAKERS = ("customer", "agent", "bot")
CHANNELS = ("web_chat", "phone", "email", "store", "chat", "social", "sms")
NPS_STATUSES = ("answered", "declined", "abandoned", "throttled")
SCORE_DIMENSIONS = ("politeness", "efficiency", "deescalation")


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class Customer(Base):
    __tablename__ = "customers"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    segment: Mapped[str | None] = mapped_column(String(64))
    email: Mapped[str | None] = mapped_column(String(255))


class Agent(Base):
    __tablename__ = "agents"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(255))
    team: Mapped[str | None] = mapped_column(String(128))


class Touchpoint(Base):
    """What the conversation was about and where it belongs in the support chain (warranty, technical...)."""

    __tablename__ = "touchpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("source", "external_id", name="uq_conversation_source_external_id"),
        Index("ix_conversation_customer_touchpoint_started", "customer_id", "touchpoint_id", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(255))
    channel: Mapped[str] = mapped_column(String(32))
    touchpoint_id: Mapped[int | None] = mapped_column(ForeignKey("touchpoints.id"))
    customer_id: Mapped[str | None] = mapped_column(ForeignKey("customers.id"))
    started_at: Mapped[datetime | None] = mapped_column(DateTime, index=True)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
    # The helpdesk's own verdict, when the import gives one; it wins over what the scorer infers.
    resolved_outcome: Mapped[bool | None] = mapped_column(Boolean)
    # What a reader of the transcript should know that the turns do not say, e.g. "handed off to a human:
    # ticket H-1042 (customer asked for a person)" (set by the Rasa tracker sync).
    note: Mapped[str | None] = mapped_column(Text)

    touchpoint: Mapped[Touchpoint | None] = relationship()
    customer: Mapped[Customer | None] = relationship()
    turns: Mapped[list[Turn]] = relationship(
        back_populates="conversation", order_by="Turn.seq", cascade="all, delete-orphan"
    )


class Turn(Base):
    __tablename__ = "turns"
    __table_args__ = (UniqueConstraint("conversation_id", "seq", name="uq_turn_conversation_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column(Integer)
    speaker: Mapped[str] = mapped_column(String(16))
    agent_id: Mapped[str | None] = mapped_column(ForeignKey("agents.id"), index=True)
    text: Mapped[str] = mapped_column(Text)
    ts: Mapped[datetime | None] = mapped_column(DateTime)

    conversation: Mapped[Conversation] = relationship(back_populates="turns")


class NpsResponse(Base):
    """One NPS survey outcome: answered (with score), declined, abandoned or throttled.

    Segment, touchpoint, channel and agents are copied at survey time, so a later change to the customer
    or conversation does not rewrite history.
    """

    __tablename__ = "nps_responses"
    __table_args__ = (
        UniqueConstraint("source", "survey_key", name="uq_nps_source_survey_key"),
        Index("ix_nps_touchpoint_responded", "touchpoint", "responded_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    # Unique per source: a bot conversation's sender id + session start, or an imported survey's id.
    survey_key: Mapped[str] = mapped_column(String(255))
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"), index=True)
    conversation_external_id: Mapped[str | None] = mapped_column(String(255))
    customer_id: Mapped[str | None] = mapped_column(String(128), index=True)
    segment: Mapped[str | None] = mapped_column(String(64))
    touchpoint: Mapped[str | None] = mapped_column(String(128))
    channel: Mapped[str | None] = mapped_column(String(32))
    agent_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(16))
    score: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    asked_at: Mapped[datetime | None] = mapped_column(DateTime)
    responded_at: Mapped[datetime] = mapped_column(DateTime)
    # Closed loop for detractors.
    followup_owner: Mapped[str | None] = mapped_column(String(128))
    followup_status: Mapped[str | None] = mapped_column(String(32))
    followup_due: Mapped[datetime | None] = mapped_column(DateTime)


class Score(Base):
    __tablename__ = "scores"
    __table_args__ = (UniqueConstraint("conversation_id", "dimension", name="uq_score_conversation_dimension"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    dimension: Mapped[str] = mapped_column(String(32))
    # 0-100; None where the dimension does not apply (no complaint, no de-escalation score).
    value: Mapped[float | None] = mapped_column(Float)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    evidence: Mapped[list[Any]] = mapped_column(JSON, default=list)
    scorer_version: Mapped[str] = mapped_column(String(32), index=True)
    scored_at: Mapped[datetime] = mapped_column(DateTime)


class CoachingAssignment(Base):
    __tablename__ = "coaching_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    agent_id: Mapped[str] = mapped_column(ForeignKey("agents.id"), index=True)
    dimension: Mapped[str] = mapped_column(String(32))
    touchpoint: Mapped[str | None] = mapped_column(String(128))
    assigned_by: Mapped[str | None] = mapped_column(String(128))
    note: Mapped[str | None] = mapped_column(Text)
    assigned_at: Mapped[datetime] = mapped_column(DateTime)
    due_at: Mapped[datetime | None] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(16), default="open")
    baseline_value: Mapped[float | None] = mapped_column(Float)
    target_value: Mapped[float | None] = mapped_column(Float)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime)


# --- The bot touchpoint's own records -------------------------------------------------------------


class Product(Base):
    """A product line of the catalog (seeded from bot/knowledge/products.yml)."""

    __tablename__ = "products"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    warranty_months: Mapped[int] = mapped_column(Integer)


class Registration(Base):
    """A sold unit: the product registry that warranty lookups read."""

    __tablename__ = "registrations"

    serial_number: Mapped[str] = mapped_column(String(64), primary_key=True)
    order_number: Mapped[str | None] = mapped_column(String(64), index=True)
    product_id: Mapped[str] = mapped_column(ForeignKey("products.id"))
    purchase_date: Mapped[date] = mapped_column(Date)
    extended_warranty_months: Mapped[int] = mapped_column(Integer, default=0)
    customer_email: Mapped[str | None] = mapped_column(String(255))


class Claim(Base):
    __tablename__ = "claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_number: Mapped[str] = mapped_column(String(32), unique=True)
    serial_number: Mapped[str] = mapped_column(String(64))
    problem: Mapped[str] = mapped_column(Text)
    contact_email: Mapped[str] = mapped_column(String(255))
    sender_id: Mapped[str | None] = mapped_column(String(255), index=True)
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(DateTime)


class HandoffTicket(Base):
    __tablename__ = "handoff_tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_number: Mapped[str] = mapped_column(String(32), unique=True)
    sender_id: Mapped[str | None] = mapped_column(String(255), index=True)
    reason: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_by: Mapped[str | None] = mapped_column(String(128))


class SyncCursor(Base):
    """Where an incremental job (e.g. the Rasa tracker sync) stopped last time."""

    __tablename__ = "sync_cursors"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    position: Mapped[str] = mapped_column(String(255))
    updated_at: Mapped[datetime] = mapped_column(DateTime)


class SyncReject(Base):
    """A tracker event the sync set aside (unreadable, or its conversation could not be written), and why.

    The sync moves past it; the rest of the conversation is kept. ``cxqa sync`` reports how many it set aside.
    """

    __tablename__ = "sync_rejects"
    __table_args__ = (UniqueConstraint("cursor_name", "event_id", name="uq_sync_reject_cursor_event"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    cursor_name: Mapped[str] = mapped_column(String(64))  # which tracker database (see SyncCursor)
    event_id: Mapped[int] = mapped_column(Integer)
    sender_id: Mapped[str | None] = mapped_column(String(255))
    type_name: Mapped[str | None] = mapped_column(String(255))
    reason: Mapped[str] = mapped_column(Text)
    set_aside_at: Mapped[datetime] = mapped_column(DateTime, index=True)
