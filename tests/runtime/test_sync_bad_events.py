"""Finding 4 of the security probe: one bad tracker event stopped the sync for good, and the NPS replay with it.

Before the fix a message "\\ud800 hi" broke the sync on SQLite and "\\u0000 hi" on PostgreSQL, at every run,
with the cursor stuck. Now text is cleaned as it is read, an event the sync cannot use is set aside in
``sync_rejects`` with its reason, and the NPS spool is replayed by a job of its own.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from datetime import datetime

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from analytics.nps.spool import SPOOL_ENV, Spool
from analytics.scheduler.jobs import JobContext
from analytics.scheduler.service import JOB_DEFAULTS, add_jobs
from analytics.scheduler.settings import SchedulerSettings, SurveyNames
from analytics.storage.models import Conversation, NpsResponse, SyncCursor, SyncReject, Turn
from analytics.sync.runner import sync_tracker
from analytics.sync.tracker_db import make_tracker_engine
from tests.support.tracker_fixture import insert_events

FAR_FUTURE = 4_000_000_000.0
T0 = 1_795_448_772.0


def session_events(first_id: int, sender: str, messages: list[tuple[str, str]], *, at: float = T0,
                   metadata: dict | None = None) -> list[dict]:
    """Tracker rows of one session: the session start, then (type "user"|"bot", text) messages."""
    rows = [
        {"type_name": "action", "action_name": "action_session_start",
         "data": {"event": "action", "name": "action_session_start"}},
        {"type_name": "session_started", "action_name": None,
         "data": {"event": "session_started", "metadata": metadata or {}}},
    ]
    for kind, said in messages:
        data = {"event": kind, "text": said}
        if kind == "user":
            data["parse_data"] = {"intent": {"name": "greet", "confidence": 1.0}}
            data["metadata"] = metadata or {}
        rows.append({"type_name": kind, "action_name": None, "data": data,
                     "intent_name": "greet" if kind == "user" else None})
    return [
        {"id": first_id + offset, "sender_id": sender, "timestamp": at + offset, "intent_name": None, **row}
        for offset, row in enumerate(rows)
    ]


def turns_of(session_factory, sender: str) -> list[tuple[str, str]]:
    with session_factory() as session:
        return list(session.execute(
            select(Turn.speaker, Turn.text).join(Conversation)
            .where(Conversation.external_id.like(f"{sender}:%")).order_by(Turn.seq)
        ).tuples())


def cursor_position(session_factory) -> int:
    with session_factory() as session:
        return int(session.scalars(select(SyncCursor.position)).one())


def rejects(session_factory) -> list[tuple[int, str, str]]:
    with session_factory() as session:
        return list(session.execute(
            select(SyncReject.event_id, SyncReject.sender_id, SyncReject.reason).order_by(SyncReject.event_id)
        ).tuples())


def test_surrogates_and_nul_in_messages_are_cleaned_and_the_sync_moves_on(tracker_engine, session_factory):
    bad = session_events(1, "chat-bad", [("user", "\ud800 hi"), ("bot", "Hello \udfff there"),
                                         ("user", "\u0000 my kettle\u0000 leaks"), ("user", "emoji \U0001f600")],
                         metadata={"customData": {"customer_id": "cust\u0000-\ud83d1"}})
    insert_events(tracker_engine, bad)
    report = sync_tracker(tracker_engine, session_factory, now=FAR_FUTURE)
    assert report.count("created") == 1 and report.set_aside == 0
    assert turns_of(session_factory, "chat-bad") == [
        ("customer", "\ufffd hi"), ("bot", "Hello \ufffd there"), ("customer", "my kettle leaks"),
        ("customer", "emoji \U0001f600"),
    ]
    with session_factory() as session:
        assert session.scalars(select(Conversation.customer_id)).one() == "cust-\ufffd1"
    assert cursor_position(session_factory) == bad[-1]["id"]
    later = session_events(100, "chat-later", [("user", "hello again")], at=T0 + 100)
    insert_events(tracker_engine, later)
    again = sync_tracker(tracker_engine, session_factory, now=FAR_FUTURE)
    assert again.count("created") == 1 and cursor_position(session_factory) == later[-1]["id"]


def test_an_unreadable_event_is_set_aside_with_its_reason_and_the_rest_is_kept(tracker_engine, session_factory):
    rows = session_events(1, "chat-corrupt", [("user", "first"), ("user", "lost"), ("user", "odd"),
                                              ("user", "last")])
    rows[3]["data"] = '{"event": "user", "text": "lo'  # cut short
    rows[4]["data"] = "[1, 2]"
    insert_events(tracker_engine, rows)
    last = rows[-1]
    unsettled = sync_tracker(tracker_engine, session_factory, now=last["timestamp"] + 1, settle_seconds=10)
    assert unsettled.set_aside == 2
    assert "2 events set aside (see the sync_rejects table)" in unsettled.summary()
    settled = sync_tracker(tracker_engine, session_factory, now=FAR_FUTURE)  # the same events read again
    assert settled.set_aside == 0, "an event read again is set aside once"
    assert turns_of(session_factory, "chat-corrupt") == [("customer", "first"), ("customer", "last")]
    assert [(event_id, sender) for event_id, sender, _ in rejects(session_factory)] == [
        (rows[3]["id"], "chat-corrupt"), (rows[4]["id"], "chat-corrupt")]
    reasons = [reason for _, _, reason in rejects(session_factory)]
    assert reasons[0].startswith("data is not valid JSON") and reasons[1] == "data is a JSON list, not an object"
    assert cursor_position(session_factory) == last["id"]


@pytest.fixture
def refusing_turns_table(engine):
    """A trigger that makes the database refuse a turn reading 'poison' (a real refusal, on both databases)."""
    statements = {
        "sqlite": (["CREATE TRIGGER refuse_poison BEFORE INSERT ON turns WHEN NEW.text = 'poison' "
                    "BEGIN SELECT RAISE(ABORT, 'refused by the test trigger'); END"],
                   ["DROP TRIGGER IF EXISTS refuse_poison"]),
        "postgresql": (["CREATE FUNCTION refuse_poison() RETURNS trigger AS $$ BEGIN IF NEW.text = 'poison' THEN "
                        "RAISE EXCEPTION 'refused by the test trigger'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
                        "CREATE TRIGGER refuse_poison BEFORE INSERT ON turns FOR EACH ROW "
                        "EXECUTE FUNCTION refuse_poison()"],
                       ["DROP TRIGGER IF EXISTS refuse_poison ON turns", "DROP FUNCTION IF EXISTS refuse_poison()"]),
    }
    create, drop = statements[engine.dialect.name]
    with engine.begin() as conn:
        for statement in create:
            conn.execute(text(statement))
    yield
    with engine.begin() as conn:
        for statement in drop:
            conn.execute(text(statement))


def test_a_conversation_the_database_refuses_is_set_aside_and_the_others_are_written(
        tracker_engine, session_factory, refusing_turns_table):
    poisoned = session_events(1, "chat-poison", [("user", "hello"), ("user", "poison")])
    healthy = session_events(10, "chat-healthy", [("user", "my order is late")], at=T0 + 10)
    insert_events(tracker_engine, poisoned + healthy)
    report = sync_tracker(tracker_engine, session_factory, now=FAR_FUTURE)
    assert report.count("created") == 1
    assert report.set_aside == len(poisoned)
    assert turns_of(session_factory, "chat-healthy") == [("customer", "my order is late")]
    assert turns_of(session_factory, "chat-poison") == []
    set_aside = rejects(session_factory)
    assert [event_id for event_id, _, _ in set_aside] == [row["id"] for row in poisoned]
    assert all("refused by the test trigger" in reason for _, _, reason in set_aside)
    assert cursor_position(session_factory) == healthy[-1]["id"]


def cxqa(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analytics.cli", *args], env={**os.environ, "COLUMNS": "200", **env},
                          capture_output=True, text=True, timeout=120)


def test_cxqa_sync_says_how_many_events_it_set_aside(tracker_engine, db_url, tmp_path):
    rows = session_events(1, "chat-cli", [("user", "\ud800 hi"), ("user", "x"), ("user", "\u0000bye")])
    rows[3]["data"] = "not json"
    insert_events(tracker_engine, rows)
    tracker_url = tracker_engine.url.render_as_string(hide_password=False)
    env = {SPOOL_ENV: str(tmp_path / "spool.jsonl")}
    result = cxqa(env, "sync", "--tracker-url", tracker_url, "--database-url", db_url)
    assert result.returncode == 0, result.stderr
    assert "1 events set aside" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def spooled_answer(spool: Spool, key: str) -> None:
    spool.append({"source": "rasa", "survey_key": key, "status": "answered", "score": 4,
                  "comment": "slow \ud800 reply", "responded_at": "2026-11-02T10:00:00Z"}, "database down")


@pytest.fixture
def unreachable_tracker(postgres_url):
    """A tracker URL whose database does not exist: every sync fails to connect."""
    url = make_url(postgres_url).set(database="cxqa_no_such_tracker").render_as_string(hide_password=False)
    engine = make_tracker_engine(url)
    yield engine
    engine.dispose()


def test_the_nps_spool_is_replayed_while_the_sync_keeps_failing(session_factory, unreachable_tracker, tmp_path,
                                                                monkeypatch, caplog):
    from apscheduler.schedulers.background import BackgroundScheduler

    monkeypatch.setenv(SPOOL_ENV, str(tmp_path / "spool.jsonl"))
    context = JobContext(settings=SchedulerSettings(), names=SurveyNames.load(), tracker_engine=unreachable_tracker,
                         session_factory=session_factory)
    scheduler = BackgroundScheduler(job_defaults=JOB_DEFAULTS)
    add_jobs(scheduler, context)  # not started: each job is run below the way the scheduler runs it
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert {"tracker_sync", "nps_upkeep"} <= set(jobs)
    caplog.set_level(logging.INFO)
    try:
        for run, key in enumerate(["chat-a:1", "chat-b:2"]):
            spooled_answer(Spool(), key)
            jobs["tracker_sync"].func()
            assert caplog.text.count("job sync_job failed") == run + 1
            jobs["nps_upkeep"].func()
    finally:
        context.close()
    with session_factory() as session:
        stored = session.execute(select(NpsResponse.survey_key, NpsResponse.comment)
                                 .order_by(NpsResponse.survey_key)).tuples().all()
    assert stored == [("chat-a:1", "slow \ufffd reply"), ("chat-b:2", "slow \ufffd reply")]
    assert Spool().pending_count() == 0


def test_cxqa_sync_replays_the_spool_even_when_the_sync_fails(db_url, session_factory, unreachable_tracker,
                                                              tmp_path):
    spool_path = tmp_path / "spool.jsonl"
    spooled_answer(Spool(spool_path), "chat-c:3")
    tracker_url = unreachable_tracker.url.render_as_string(hide_password=False)
    result = cxqa({SPOOL_ENV: str(spool_path)}, "sync", "--tracker-url", tracker_url, "--database-url", db_url)
    assert result.returncode == 1
    assert "sync failed" in result.stderr and "Traceback" not in result.stdout + result.stderr
    assert "1 replayed" in result.stdout
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(NpsResponse)) == 1


def test_rejects_survive_in_their_own_table_after_a_downgrade_and_upgrade(db_url):
    """The migration that adds sync_rejects goes both ways."""
    from analytics.storage import make_engine
    from analytics.storage.migrate import current_revision, downgrade, upgrade

    engine = make_engine(db_url)
    try:
        downgrade(engine, "0002")
        assert "sync_rejects" not in engine.dialect.get_table_names(engine.connect())
        upgrade(engine)
        assert current_revision(engine) == "0003"
        with engine.begin() as conn:
            conn.execute(SyncReject.__table__.insert(), [{
                "cursor_name": "t", "event_id": 1, "reason": "r", "set_aside_at": datetime(2026, 12, 1)}])
            assert json.dumps(conn.execute(text("SELECT count(*) FROM sync_rejects")).scalar()) == "1"
    finally:
        engine.dispose()
