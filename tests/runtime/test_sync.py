"""The tracker sync on SQLite and PostgreSQL, fed with tracker rows recorded from a real Rasa run.

Recorded conversations (tests/runtime/data/recorded_conversations.yml): rec-warranty (widget greeting,
warranty status), rec-technical (a fix that works, "Yes, it works" button, the survey), rec-handoff (two
handoff tickets), rec-two-sessions (/session_start splits it in two).
"""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import func, select, text

from analytics.storage.models import Conversation, Customer, HandoffTicket, SyncCursor, Touchpoint, Turn
from analytics.sync.runner import sync_tracker
from analytics.sync.tracker_db import make_tracker_engine
from tests.support.tracker_fixture import RECORDED_TICKETS, insert_events, read_jsonl
from tests.support.tracker_fixture import recorded_events as load_recorded_events

FAR_FUTURE = 4_000_000_000.0  # "now" for sync: every recorded event has settled


@pytest.fixture(scope="module")
def recorded_events():
    return load_recorded_events()


def sync(tracker_engine, session_factory, **kwargs):
    return sync_tracker(tracker_engine, session_factory, now=FAR_FUTURE, **kwargs)


def conversations_by_sender(session_factory) -> dict[str, list[Conversation]]:
    with session_factory() as session:
        found: dict[str, list[Conversation]] = {}
        for conversation in session.scalars(select(Conversation).order_by(Conversation.started_at)):
            conversation.turns  # noqa: B018 (load them before the session closes)
            conversation.touchpoint  # noqa: B018
            found.setdefault(conversation.external_id.split(":")[0], []).append(conversation)
        return found


def test_each_rasa_session_becomes_one_conversation(tracker_engine, session_factory, recorded_events):
    insert_events(tracker_engine, recorded_events)
    report = sync(tracker_engine, session_factory)
    assert report.count("created") == 5
    found = conversations_by_sender(session_factory)
    assert sorted(found) == ["rec-handoff", "rec-technical", "rec-two-sessions", "rec-warranty"]
    assert len(found["rec-two-sessions"]) == 2

    session_started = {
        (row["sender_id"], round(row["timestamp"] * 1000))
        for row in recorded_events
        if row["type_name"] == "session_started"
    }
    for conversations in found.values():
        for conversation in conversations:
            sender, millis = conversation.external_id.rsplit(":", 1)
            assert (sender, int(millis)) in session_started  # key = sender + its session_started, in ms
            assert conversation.source == "rasa" and conversation.channel == "web_chat"
            assert conversation.customer_id == sender
            assert conversation.started_at <= conversation.turns[0].ts <= conversation.ended_at
            assert [turn.seq for turn in conversation.turns] == list(range(len(conversation.turns)))
            assert all(isinstance(turn.ts, datetime) for turn in conversation.turns)

    first, second = found["rec-two-sessions"]
    assert [t.text for t in first.turns if t.speaker == "customer"] == [
        "hello",
        "does the warranty cover accidental damage?",
    ]
    assert [t.text for t in second.turns if t.speaker == "customer"] == ["my watch battery drains in a day"]
    assert (first.touchpoint.name, second.touchpoint.name) == ("warranty", "technical")
    assert found["rec-warranty"][0].touchpoint.name == "warranty"
    assert found["rec-technical"][0].touchpoint.name == "technical"
    assert found["rec-handoff"][0].touchpoint.name == "general"  # frustration and handoff are not topical


def test_turns_show_what_the_customer_saw(tracker_engine, session_factory, recorded_events):
    insert_events(tracker_engine, recorded_events)
    sync(tracker_engine, session_factory)
    found = conversations_by_sender(session_factory)

    warranty = found["rec-warranty"][0].turns
    # The widget's "/greet" (initPayload) is not a customer turn; the bot's greeting it caused is.
    assert warranty[0].speaker == "bot" and warranty[0].text.startswith("Hi!")
    assert not any(turn.text.startswith("/") for turn in warranty)
    assert [t.text for t in warranty if t.speaker == "customer"][:3] == [
        "hi",
        "is my speaker still under warranty?",
        "AS26000101",
    ]
    technical = [(turn.speaker, turn.text) for turn in found["rec-technical"][0].turns]
    # The "/affirm" payload arrived by clicking the button titled "Yes, it works".
    assert ("customer", "Yes, it works") in technical
    assert technical.index(("customer", "Yes, it works")) == 3
    assert technical[2] == ("bot", "Did that solve the problem?")
    # Multi-paragraph bot messages stay one turn, as Rasa stored them.
    assert "\n" in technical[1][1]


def test_rerunning_adds_nothing(tracker_engine, session_factory, recorded_events):
    insert_events(tracker_engine, recorded_events)
    sync(tracker_engine, session_factory)
    with session_factory() as session:
        before = session.scalar(select(func.count()).select_from(Turn))
    again = sync(tracker_engine, session_factory)
    assert again.events_read == 0 and again.changed == 0
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Turn)) == before
        assert session.scalar(select(func.count()).select_from(Conversation)) == 5
        assert session.scalar(select(func.count()).select_from(Customer)) == 4
        assert session.scalar(select(func.count()).select_from(Touchpoint)) == 3


def test_a_growing_conversation_gets_its_new_turns_appended(tracker_engine, session_factory, recorded_events):
    half = len(recorded_events) // 2  # cuts through a conversation
    insert_events(tracker_engine, recorded_events[:half])
    first = sync(tracker_engine, session_factory)
    with session_factory() as session:
        stored_before = {
            row.external_id: row.count
            for row in session.execute(
                select(Conversation.external_id, func.count(Turn.id).label("count"))
                .join(Turn)
                .group_by(Conversation.external_id)
            )
        }
    insert_events(tracker_engine, recorded_events[half:])
    second = sync(tracker_engine, session_factory)
    assert first.cursor_after == recorded_events[half - 1]["id"]
    assert second.count("appended") == 1 and second.count("rebuilt") == 0

    # The result is the same as syncing everything at once, and the earlier turns kept their rows.
    found = conversations_by_sender(session_factory)
    grown = next(c for cs in found.values() for c in cs if stored_before.get(c.external_id, 0) not in (0, len(c.turns)))
    assert len(grown.turns) > stored_before[grown.external_id]
    assert sum(len(c) for c in found.values()) == 5


def test_handoff_tickets_become_the_conversation_note(tracker_engine, session_factory, recorded_events):
    with session_factory.begin() as session:
        for ticket in read_jsonl(RECORDED_TICKETS):
            session.add(HandoffTicket(**{**ticket, "created_at": datetime.fromisoformat(ticket["created_at"])}))
    insert_events(tracker_engine, recorded_events)
    sync(tracker_engine, session_factory)
    found = conversations_by_sender(session_factory)
    tickets = [ticket["ticket_number"] for ticket in read_jsonl(RECORDED_TICKETS)]
    note = found["rec-handoff"][0].note
    assert note.startswith("Handed off to a human: ")
    assert all(number in note for number in tickets) and "frustration" in note
    assert found["rec-warranty"][0].note is None


def test_recent_events_are_read_again_until_they_settle(tracker_engine, session_factory, recorded_events):
    """A late commit of a lower id (PostgreSQL) must not be skipped: the cursor waits for events to settle."""
    insert_events(tracker_engine, recorded_events)
    last = recorded_events[-1]
    report = sync_tracker(tracker_engine, session_factory, now=last["timestamp"] + 1, settle_seconds=10)
    assert report.cursor_after < last["id"]
    assert report.count("created") == 5
    again = sync_tracker(tracker_engine, session_factory, now=last["timestamp"] + 1, settle_seconds=10)
    assert again.changed == 0 and again.events_read > 0  # re-read, nothing written
    settled = sync(tracker_engine, session_factory)
    assert settled.cursor_after == last["id"]


def test_a_recreated_tracker_database_starts_over(tracker_engine, session_factory, recorded_events):
    insert_events(tracker_engine, recorded_events)
    sync(tracker_engine, session_factory)
    with tracker_engine.begin() as conn:
        conn.execute(text("DELETE FROM events"))
    new_sender = [
        {**row, "id": index + 1, "sender_id": "rec-after-reset"}
        for index, row in enumerate(r for r in recorded_events if r["sender_id"] == "rec-technical")
    ]
    insert_events(tracker_engine, new_sender)
    report = sync(tracker_engine, session_factory)
    assert report.count("created") == 1
    with session_factory() as session:
        cursor = session.scalars(select(SyncCursor)).one()
        assert cursor.position == str(len(new_sender))


def test_no_tracker_table_yet_is_not_an_error(db_url, session_factory, tmp_path):
    engine = make_tracker_engine(f"sqlite:///{tmp_path / 'never_used.db'}")
    report = sync_tracker(engine, session_factory)
    assert not report.tracker_found and "no tracker events yet" in report.summary()
    engine.dispose()


def test_external_triggers_are_not_customer_turns(tracker_engine, session_factory, recorded_events):
    rows = [row for row in recorded_events if row["sender_id"] == "rec-two-sessions"]
    last = rows[-1]
    at = last["timestamp"] + 600
    data = {
        "event": "user",
        "timestamp": at,
        "text": "EXTERNAL: EXTERNAL_nps_survey",
        "input_channel": "socketio",
        "parse_data": {"intent": {"name": "EXTERNAL_nps_survey", "confidence": 1.0}},
        "metadata": {"is_external": True},
    }
    trigger = {
        "id": last["id"] + 1, "sender_id": last["sender_id"], "type_name": "user", "timestamp": at,
        "intent_name": "EXTERNAL_nps_survey", "action_name": None, "data": json.dumps(data),
    }  # fmt: skip
    insert_events(tracker_engine, [*rows, trigger])
    sync(tracker_engine, session_factory)
    second = conversations_by_sender(session_factory)["rec-two-sessions"][1]
    assert [turn.text for turn in second.turns if turn.speaker == "customer"] == ["my watch battery drains in a day"]
