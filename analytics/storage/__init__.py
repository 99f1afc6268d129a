"""The one data model that the bot's actions, the importer, the scorer and the reports share."""

from analytics.storage.db import database_url, make_engine, make_session_factory
from analytics.storage.models import (
    Agent,
    Base,
    Claim,
    CoachingAssignment,
    Conversation,
    Customer,
    HandoffTicket,
    NpsResponse,
    Product,
    Registration,
    Score,
    SyncCursor,
    SyncReject,
    Touchpoint,
    Turn,
)

__all__ = [
    "Agent",
    "Base",
    "Claim",
    "CoachingAssignment",
    "Conversation",
    "Customer",
    "HandoffTicket",
    "NpsResponse",
    "Product",
    "Registration",
    "Score",
    "SyncCursor",
    "SyncReject",
    "Touchpoint",
    "Turn",
    "database_url",
    "make_engine",
    "make_session_factory",
]
