"""No answer is lost: answers given while the database is down are spooled, then replayed exactly once."""

from __future__ import annotations

import json
import os
import stat
from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from analytics.nps.recording import flush_spool, record_survey_durably
from analytics.nps.spool import SPOOL_ENV, Spool
from analytics.storage import make_engine, make_session_factory
from analytics.storage.migrate import upgrade
from analytics.storage.models import NpsResponse

NO_WAIT = {"backoff_seconds": 0.0}


def _answer(key: str = "sender-1:1", score: int = 9, **overrides):
    fields = dict(source="rasa", survey_key=key, status="answered", score=score, comment="Kind and quick",
                  customer_id="cust-1", conversation_external_id="sender-1", touchpoint="warranty",
                  channel="web_chat", agent_ids=[], asked_at=datetime(2026, 11, 2, 9, 59),
                  responded_at=datetime(2026, 11, 2, 10, 0))
    fields.update(overrides)
    return fields


def _rows(session_factory) -> list[tuple[str, int | None, str | None]]:
    with session_factory() as session:
        return list(session.execute(
            select(NpsResponse.survey_key, NpsResponse.score, NpsResponse.comment).order_by(NpsResponse.survey_key)
        ).tuples())


@pytest.fixture
def spool_file(tmp_path, monkeypatch):
    path = tmp_path / "var" / "nps_spool.jsonl"
    monkeypatch.setenv(SPOOL_ENV, str(path))
    return path


def test_stored_directly_when_the_database_is_up(session_factory, spool_file) -> None:
    result = record_survey_durably(session_factory, **_answer())
    assert result.stored and result.response_id is not None
    assert not spool_file.exists()
    assert _rows(session_factory) == [("sender-1:1", 9, "Kind and quick")]


def test_postgres_down_then_up_loses_nothing_and_duplicates_nothing(postgres_url, spool_file, tcp_relay) -> None:
    # Down: the same server name, a closed port (connection refused).
    closed = tcp_relay("127.0.0.1", 1)  # never started: its port refuses connections
    down_url = make_url(postgres_url).set(host="127.0.0.1", port=closed.port)
    down = make_session_factory(make_engine(down_url.render_as_string(hide_password=False)))
    up = make_session_factory(make_engine(postgres_url))
    with up.begin() as session:
        session.execute(NpsResponse.__table__.delete())

    first = record_survey_durably(down, **_answer("k1", 9), **NO_WAIT)
    again = record_survey_durably(down, **_answer("k1", 9), **NO_WAIT)  # the bot retried the same answer
    second = record_survey_durably(down, **_answer("k2", 3, comment="Took ages"), **NO_WAIT)
    assert [first.outcome, again.outcome, second.outcome] == ["spooled"] * 3
    assert first.spool_path == spool_file
    lines = spool_file.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3
    assert json.loads(lines[0])["fields"]["responded_at"] == "2026-11-02T10:00:00Z"
    assert "OperationalError" in json.loads(lines[0])["error"]
    assert stat.S_IMODE(os.stat(spool_file).st_mode) == 0o600  # comments may hold personal data

    assert flush_spool(down) == 0  # still down: everything kept
    assert Spool().pending_count() == 3

    assert flush_spool(up) == 3  # three replays ...
    assert _rows(up) == [("k1", 9, "Kind and quick"), ("k2", 3, "Took ages")]  # ... two surveys, no duplicate
    assert flush_spool(up) == 0
    assert Spool().pending_count() == 0
    with up() as session:
        detractor = session.scalars(select(NpsResponse).where(NpsResponse.survey_key == "k2")).one()
        assert detractor.followup_status == "open"


def test_same_url_outage_and_recovery_through_a_relay(postgres_url, spool_file, tcp_relay) -> None:
    target = make_url(postgres_url)
    relay = tcp_relay(target.host or "127.0.0.1", target.port or 5432)
    url = target.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)
    factory = make_session_factory(make_engine(url))
    admin = make_session_factory(make_engine(postgres_url))
    with admin.begin() as session:
        session.execute(NpsResponse.__table__.delete())
    try:
        relay.start()
        assert record_survey_durably(factory, **_answer("before"), **NO_WAIT).stored
        relay.stop()  # the database goes away, with a pooled connection open
        assert record_survey_durably(factory, **_answer("during"), **NO_WAIT).outcome == "spooled"
        relay.start()  # and comes back, at the same address
        assert flush_spool(factory) == 1
        assert record_survey_durably(factory, **_answer("after"), **NO_WAIT).stored
    finally:
        relay.stop()
    assert [key for key, _, _ in _rows(admin)] == ["after", "before", "during"]


def test_sqlite_not_ready_then_migrated(tmp_path, spool_file) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'late.db'}")
    factory = make_session_factory(engine)
    waits: list[float] = []
    result = record_survey_durably(factory, **_answer(), backoff_seconds=0.01, sleep=waits.append)
    assert result.outcome == "spooled"
    assert waits == [0.01, 0.02]  # three attempts, exponential backoff between them
    upgrade(engine)
    assert flush_spool(factory) == 1
    assert _rows(factory) == [("sender-1:1", 9, "Kind and quick")]


def test_invalid_answer_raises_and_is_not_spooled(session_factory, spool_file) -> None:
    with pytest.raises(ValueError, match="score must be a whole number from 0 to 10"):
        record_survey_durably(session_factory, **_answer(score=12))
    assert not spool_file.exists()


def test_corrupt_and_invalid_spool_lines_are_set_aside_not_dropped(session_factory, spool_file) -> None:
    spool_file.parent.mkdir(parents=True)
    good = {"v": 1, "fields": {**_answer("good"), "asked_at": None, "responded_at": "2026-11-02T10:00:00Z"}}
    invalid = {"v": 1, "fields": {**good["fields"], "survey_key": "bad", "score": 99}}
    spool_file.write_text('{"v": 1, "fiel\n' + json.dumps(invalid) + "\n" + json.dumps(good) + "\n")
    assert flush_spool(session_factory) == 1
    assert [key for key, _, _ in _rows(session_factory)] == ["good"]
    rejected = [json.loads(line) for line in Spool().rejected_path.read_text().splitlines()]
    assert [r["reason"].split(":")[0] for r in rejected] == ["not a spool record", "invalid"]
    assert rejected[0]["line"] == '{"v": 1, "fiel'


def test_a_flush_interrupted_by_a_crash_is_resumed(session_factory, spool_file) -> None:
    spool_file.parent.mkdir(parents=True)
    record = {"v": 1, "fields": {**_answer("crashed"), "asked_at": None, "responded_at": "2026-11-02T10:00:00Z"}}
    leftover = spool_file.with_name(spool_file.name + ".20261102T100000000000-4242.replaying")
    leftover.write_text(json.dumps(record) + "\n")
    assert Spool().pending_count() == 1
    assert flush_spool(session_factory) == 1
    assert not leftover.exists()
    assert [key for key, _, _ in _rows(session_factory)] == ["crashed"]


def test_answers_spooled_during_a_flush_are_kept(session_factory, spool_file) -> None:
    spool = Spool()
    spool.append({**_answer("old"), "asked_at": None, "responded_at": "2026-11-02T10:00:00Z"}, "down")
    with spool.draining() as drained:
        entries, put_back = drained
        assert len(entries) == 1
        spool.append({**_answer("new"), "asked_at": None, "responded_at": "2026-11-02T10:05:00Z"}, "down")
        put_back.extend(entries)  # pretend the database failed again
    keys = [json.loads(line)["fields"]["survey_key"] for line in spool_file.read_text().splitlines()]
    assert keys == ["old", "new"]  # the older answer back in front
    assert flush_spool(session_factory) == 2
    assert [key for key, _, _ in _rows(session_factory)] == ["new", "old"]


def test_only_one_flush_at_a_time(session_factory, spool_file) -> None:
    spool = Spool()
    spool.append({**_answer("x"), "asked_at": None, "responded_at": "2026-11-02T10:00:00Z"}, "down")
    with spool.draining() as drained:
        assert drained is not None
        assert flush_spool(session_factory) == 0  # another flush holds the spool: this one steps aside
        drained[1].extend(drained[0])
    assert flush_spool(session_factory) == 1
