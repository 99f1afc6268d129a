"""``cxqa score`` on SQLite and PostgreSQL: scores what is unscored or outdated, stores evidence and version,
and re-checks first-contact resolution when the same customer comes back."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from typer.testing import CliRunner

from analytics.cli import app
from analytics.scoring import store
from analytics.scoring.resources import scorer_version
from analytics.storage.models import Agent, Conversation, Customer, Score, Touchpoint, Turn

runner = CliRunner()
T0 = datetime(2026, 3, 2, 9)


def _seed(session, external_id: str, started: datetime, turns: list[tuple[str, str]], *, customer="cu-1",
          resolved=None) -> int:
    if session.get(Customer, customer) is None:
        session.add(Customer(id=customer))
    if session.get(Agent, "ag-1") is None:
        session.add(Agent(id="ag-1", name="Jo"))
    touchpoint = session.scalar(select(Touchpoint).where(Touchpoint.name == "warranty"))
    if touchpoint is None:
        touchpoint = Touchpoint(name="warranty")
        session.add(touchpoint)
        session.flush()
    conversation = Conversation(source="test", external_id=external_id, channel="web_chat",
                                touchpoint_id=touchpoint.id, customer_id=customer, started_at=started,
                                ended_at=started + timedelta(minutes=len(turns)), resolved_outcome=resolved)
    conversation.turns = [Turn(seq=index, speaker=speaker, text=text, ts=started + timedelta(minutes=index),
                               agent_id="ag-1" if speaker == "agent" else None)
                          for index, (speaker, text) in enumerate(turns)]
    session.add(conversation)
    session.flush()
    return conversation.id


COMPLAINT = [("customer", "This is ridiculous!!! The kettle broke again."),
             ("agent", "I'm so sorry, I understand how annoying that is. I'll send a new one by tomorrow."),
             ("customer", "OK, thank you.")]
CURT = [("customer", "How do I descale it?"), ("agent", "Use vinegar."), ("customer", "ok")]


def _run(monkeypatch, db_url, *args):
    monkeypatch.setenv("CXQA_DATABASE_URL", db_url)
    result = runner.invoke(app, ["score", *args])
    assert result.exit_code == 0, result.output
    return result


def test_score_command_scores_and_stores_evidence(monkeypatch, db_url, session_factory):
    with session_factory.begin() as session:
        first = _seed(session, "c-1", T0, COMPLAINT)
        second = _seed(session, "c-2", T0 + timedelta(days=30), CURT, resolved=True)
    result = _run(monkeypatch, db_url)
    assert "scored 2 conversation(s)" in result.stdout
    with session_factory() as session:
        scores = store.scores_of(session, first)
        assert set(scores) == {"politeness", "efficiency", "deescalation"}
        assert all(score.scorer_version == scorer_version() for score in scores.values())
        assert scores["deescalation"].details["complaint"] is True
        assert scores["deescalation"].details["deescalated"] is True
        assert scores["deescalation"].value is not None
        assert any(item["label"] == "ANGER" for item in scores["deescalation"].evidence)
        assert scores["efficiency"].details["first_contact_resolution"] is True
        curt = store.scores_of(session, second)
        assert curt["deescalation"].value is None
        assert curt["efficiency"].details["resolved_basis"] == "outcome"
    again = _run(monkeypatch, db_url)
    assert "nothing to score" in again.output


def test_older_versions_are_rescored(monkeypatch, db_url, session_factory):
    with session_factory.begin() as session:
        conversation_id = _seed(session, "c-1", T0, CURT)
    _run(monkeypatch, db_url)
    with session_factory.begin() as session:
        session.execute(update(Score).values(scorer_version="0.9+old"))
    with session_factory() as session:
        assert store.ids_to_score(session, scorer_version()) == [conversation_id]
    _run(monkeypatch, db_url)
    with session_factory() as session:
        versions = set(session.scalars(select(Score.scorer_version)))
        assert versions == {scorer_version()}
        assert len(list(session.scalars(select(Score)))) == 3


def test_a_new_contact_reopens_first_contact_resolution(monkeypatch, db_url, session_factory):
    with session_factory.begin() as session:
        first = _seed(session, "c-1", T0, CURT)
    _run(monkeypatch, db_url)
    with session_factory.begin() as session:
        _seed(session, "c-2", T0 + timedelta(days=3), CURT)
        _seed(session, "c-3", T0 + timedelta(days=20), CURT, customer="cu-2")
    with session_factory() as session:
        assert first in store.ids_to_score(session, scorer_version())
    _run(monkeypatch, db_url)
    with session_factory() as session:
        assert store.scores_of(session, first)["efficiency"].details["first_contact_resolution"] is False


def test_workers_and_limit(monkeypatch, db_url, session_factory):
    with session_factory.begin() as session:
        for number in range(12):
            _seed(session, f"c-{number}", T0 + timedelta(days=10 * number), CURT)
    _run(monkeypatch, db_url, "--limit", "5")
    with session_factory() as session:
        assert len(store.ids_to_score(session, scorer_version())) == 7
    _run(monkeypatch, db_url, "--workers", "2", "--batch", "4")
    with session_factory() as session:
        assert store.ids_to_score(session, scorer_version()) == []


def test_unreachable_database_is_one_clear_line(monkeypatch):
    monkeypatch.setenv("CXQA_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/nothing")
    result = runner.invoke(app, ["score"])
    assert result.exit_code != 0
    assert "database:" in result.output and "Traceback" not in result.output


def test_orm_conversations_score_directly(db_url, session_factory):
    from analytics.scoring import score_conversation

    with session_factory.begin() as session:
        conversation_id = _seed(session, "c-1", T0, COMPLAINT)
    with session_factory() as session:
        scores = score_conversation(session.get(Conversation, conversation_id))
    assert scores.conversation_id == str(conversation_id)
    assert scores.complaint is True and scores.efficiency.details["handle_seconds"] == 180
