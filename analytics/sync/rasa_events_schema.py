"""Rasa's tracker ``events`` table as Rasa 3.6.21 creates it (rasa/core/tracker_store.py,
``SQLTrackerStore.SQLEvent``), for making one where Rasa is not running: tests and benchmarks.

cxqa itself only reads this table (``tracker_events.EVENTS``); Rasa owns it. ``tests/runtime/test_live_bot.py``
checks this definition against the table a real Rasa server creates.
"""

from __future__ import annotations

from sqlalchemy import Column, Engine, Float, Integer, MetaData, String, Table, Text

metadata = MetaData()
EVENTS_TABLE = Table(
    "events",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False, index=True),
    Column("type_name", String(255), nullable=False),
    Column("timestamp", Float),
    Column("intent_name", String(255)),
    Column("action_name", String(255)),
    Column("data", Text),
)


def create_events_table(engine: Engine) -> None:
    metadata.create_all(engine)
