"""Against the running bot (shared ``runtime_stack``): what Rasa writes, the sync reads; the scheduler's NPS
jobs trigger the survey in real conversations."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import inspect, select

from analytics.scheduler.jobs import JobContext, closed_handoff_survey_job, idle_survey_job
from analytics.scheduler.settings import SchedulerSettings, SurveyNames
from analytics.storage.db import make_engine, make_session_factory
from analytics.storage.models import Conversation, HandoffTicket
from analytics.sync.runner import sync_tracker
from analytics.sync.tracker_db import make_tracker_engine
from analytics.timeutil import utcnow
from tests.support.tracker_fixture import EVENTS_TABLE

pytestmark = pytest.mark.rasa

SURVEY_SCORES = [str(score) for score in range(11)]


@pytest.fixture
def stack_tracker(runtime_stack):
    engine = make_tracker_engine(runtime_stack.tracker_url)
    yield engine
    engine.dispose()


@pytest.fixture
def job_context(runtime_stack, stack_tracker) -> Iterator[JobContext]:
    """The scheduler's jobs against the stack: a 1-second idle threshold, Rasa at the stack's port."""
    engine = make_engine(runtime_stack.database_url)
    settings = SchedulerSettings(
        rasa_url=runtime_stack.rasa_url,
        rasa_token=runtime_stack.token,
        nps_idle_minutes=1 / 60,
        nps_idle_max_minutes=30,
    )
    context = JobContext(settings, SurveyNames.load(), stack_tracker, make_session_factory(engine))
    yield context
    context.close()
    engine.dispose()


def intents(tracker: dict) -> list[str]:
    return [
        (e.get("parse_data") or {}).get("intent", {}).get("name") for e in tracker["events"] if e["event"] == "user"
    ]


def survey_question_asked(tracker: dict) -> bool:
    """A bot message offering the 0..10 score buttons."""
    for event in tracker["events"]:
        buttons = (event.get("data") or {}).get("buttons") or [] if event["event"] == "bot" else []
        if [button.get("payload") for button in buttons] == SURVEY_SCORES:
            return True
    return False


def test_our_events_table_is_rasas(stack_tracker):
    """The sync tests build the tracker table themselves: it must be the one Rasa really creates."""
    columns = {column["name"]: column for column in inspect(stack_tracker).get_columns("events")}
    assert set(columns) == {column.name for column in EVENTS_TABLE.columns}
    for column in EVENTS_TABLE.columns:
        assert type(columns[column.name]["type"]).__name__.upper() in {
            type(column.type).__name__.upper(),
            "VARCHAR",
            "TEXT",
            "FLOAT",
            "INTEGER",
        }
        assert columns[column.name]["nullable"] == (column.nullable and not column.primary_key)


def test_sync_copies_a_live_conversation(runtime_stack, stack_tracker, session_factory, sender_id):
    messages = ["hello", "is my speaker still under warranty?", "AS26000101"]
    replies = [runtime_stack.say(sender_id, message) for message in messages]
    report = sync_tracker(stack_tracker, session_factory, now=time.time() + 60)
    assert report.changed >= 1
    with session_factory() as session:
        conversation = session.scalar(select(Conversation).where(Conversation.external_id.startswith(f"{sender_id}:")))
        turns = [(turn.speaker, turn.text) for turn in conversation.turns]
        touchpoint = conversation.touchpoint.name
    bot_texts = [reply["text"] for batch in replies for reply in batch if reply.get("text")]
    assert [text for speaker, text in turns if speaker == "customer"] == messages
    assert [text for speaker, text in turns if speaker == "bot"] == bot_texts
    assert touchpoint == "warranty"


def test_idle_conversation_gets_the_survey_once(runtime_stack, job_context, sender_id):
    runtime_stack.say(sender_id, "my watch battery drains in a day")
    time.sleep(1.5)  # beyond the 1-second idle threshold
    assert sender_id in idle_survey_job(job_context)
    tracker = runtime_stack.tracker(sender_id)
    assert intents(tracker)[-1] == "EXTERNAL_nps_survey"
    assert survey_question_asked(tracker), [e.get("text") for e in tracker["events"] if e["event"] == "bot"]
    # Mid-survey (or surveyed): never triggered again, however long the customer stays quiet.
    time.sleep(1.5)
    assert sender_id not in idle_survey_job(job_context)


def test_idle_job_leaves_alone_who_did_not_speak_or_is_with_a_person(runtime_stack, job_context, sender_id):
    runtime_stack.say(sender_id, "/greet")  # the widget opened; the customer wrote nothing
    with job_context.session_factory.begin() as session:
        session.add(
            HandoffTicket(
                ticket_number=f"HO-{sender_id[-8:]}",
                sender_id=f"{sender_id}-h",
                reason="test",
                summary="test",
                status="open",
                created_at=utcnow(),
            )
        )
    runtime_stack.say(f"{sender_id}-h", "I want to talk to a person")
    time.sleep(1.5)
    triggered = idle_survey_job(job_context)
    assert sender_id not in triggered and f"{sender_id}-h" not in triggered


def test_closing_a_handoff_triggers_the_survey_about_the_agent(runtime_stack, job_context, sender_id):
    from analytics.scheduler.handoff import close_ticket

    runtime_stack.say(sender_id, "I want to talk to a human")
    with job_context.session_factory() as session:
        ticket = session.scalar(select(HandoffTicket).where(HandoffTicket.sender_id == sender_id))
    assert ticket is not None, "the bot's handoff action opened no ticket"
    assert ticket.ticket_number not in closed_handoff_survey_job(job_context)  # still open
    with job_context.session_factory.begin() as session:
        close_ticket(session, ticket.ticket_number, "agent-42")
    assert ticket.ticket_number in closed_handoff_survey_job(job_context)
    tracker = runtime_stack.tracker(sender_id)
    assert intents(tracker)[-1] == "EXTERNAL_nps_survey"
    assert tracker["slots"].get("nps_agent_id") == "agent-42"
    assert ticket.ticket_number not in closed_handoff_survey_job(job_context)  # once


def test_jobs_survive_rasa_being_down(job_context, runtime_stack, sender_id):
    runtime_stack.say(sender_id, "my router keeps dropping the wifi")
    time.sleep(1.5)
    down = JobContext(
        SchedulerSettings(rasa_url="http://127.0.0.1:9", nps_idle_minutes=1 / 60, nps_idle_max_minutes=30),
        job_context.names, job_context.tracker_engine, job_context.session_factory,
    )  # fmt: skip
    try:
        assert idle_survey_job(down) == []  # logged, retried at the next run
    finally:
        down.close()
    assert sender_id in idle_survey_job(job_context)
