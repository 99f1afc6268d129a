from datetime import datetime

import pytest
from sqlalchemy import func, inspect, select, text
from sqlalchemy.exc import IntegrityError

from analytics.storage import Agent, Conversation, Customer, Touchpoint, Turn, make_engine
from analytics.storage.db import database_url
from analytics.storage.migrate import current_revision, downgrade, upgrade


def test_migrations_reach_head_and_create_every_table(engine):
    tables = set(inspect(engine).get_table_names())
    assert {"conversations", "turns", "customers", "agents", "touchpoints", "nps_responses", "scores",
            "coaching_assignments", "registrations", "claims", "handoff_tickets"} <= tables
    assert current_revision(engine) is not None


def test_conversation_with_turns_round_trips(session_factory):
    with session_factory.begin() as session:
        session.add_all([Customer(id="c1", segment="gold"), Agent(id="a1", team="north")])
        touchpoint = Touchpoint(name="warranty")
        conversation = Conversation(source="helpdesk", external_id="x1", channel="email",
                                    touchpoint=touchpoint, customer_id="c1",
                                    started_at=datetime(2026, 11, 2, 9, 0))
        conversation.turns = [
            Turn(seq=0, speaker="customer", text="My kettle broke"),
            Turn(seq=1, speaker="agent", agent_id="a1", text="Sorry to hear that!"),
        ]
        session.add(conversation)
    with session_factory() as session:
        loaded = session.scalars(select(Conversation)).one()
        assert [t.text for t in loaded.turns] == ["My kettle broke", "Sorry to hear that!"]
        assert loaded.touchpoint.name == "warranty"
        assert loaded.customer.segment == "gold"


def test_external_id_is_unique_per_source(session_factory):
    with session_factory.begin() as session:
        session.add(Conversation(source="helpdesk", external_id="x1", channel="email"))
        session.add(Conversation(source="rasa", external_id="x1", channel="web_chat"))
    with pytest.raises(IntegrityError), session_factory.begin() as session:
        session.add(Conversation(source="helpdesk", external_id="x1", channel="email"))
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Conversation)) == 2


def test_foreign_keys_are_enforced(session_factory):
    with pytest.raises(IntegrityError), session_factory.begin() as session:
        session.add(Conversation(source="helpdesk", external_id="x1", channel="email", customer_id="nobody"))


def test_sqlite_uses_wal_and_foreign_keys(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_downgrade_to_base_and_upgrade_again(db_url):
    engine = make_engine(db_url)
    downgrade(engine, "base")
    assert "conversations" not in inspect(engine).get_table_names()
    upgrade(engine)
    assert "conversations" in inspect(engine).get_table_names()
    engine.dispose()


def test_database_url_defaults_and_normalises(monkeypatch):
    monkeypatch.delenv("CXQA_DATABASE_URL", raising=False)
    assert database_url().startswith("sqlite:///") and database_url().endswith("var/cxqa.db")
    monkeypatch.setenv("CXQA_DATABASE_URL", "postgresql://u@h/db")
    assert database_url() == "postgresql+psycopg://u@h/db"
