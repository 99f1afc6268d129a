"""Gap reports and coaching on a real database (SQLite and PostgreSQL), through the `cxqa` command."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from analytics.cli import app
from analytics.coaching.assignments import CoachingError, assign, review
from analytics.coaching.queries import agent_stats, touchpoint_stats
from analytics.coaching.targets import load_targets
from analytics.storage import Agent, CoachingAssignment, Conversation, Score, Touchpoint, Turn
from analytics.timeutil import utcnow

runner = CliRunner()


def add_conversation(session, key: str, agent: str | None, politeness: float, days_ago: float,
                     touchpoint: Touchpoint, channel: str = "email") -> None:
    conversation = Conversation(source="test", external_id=key, channel=channel, touchpoint=touchpoint,
                                started_at=utcnow() - timedelta(days=days_ago))
    conversation.turns = [Turn(seq=0, speaker="customer", text="help")]
    if agent:
        conversation.turns.append(Turn(seq=1, speaker="agent", agent_id=agent, text="hello"))
    else:
        conversation.turns.append(Turn(seq=1, speaker="bot", text="hello"))
    session.add(conversation)
    session.flush()
    session.add(Score(conversation_id=conversation.id, dimension="politeness", value=politeness,
                      scorer_version="t", scored_at=utcnow()))


@pytest.fixture
def seeded(session_factory):
    with session_factory.begin() as session:
        session.add_all([Agent(id="ana"), Agent(id="ben")])
        warranty, technical = Touchpoint(name="warranty"), Touchpoint(name="technical")
        for i in range(6):
            add_conversation(session, f"ana-{i}", "ana", 85 + i, days_ago=2 + i, touchpoint=warranty)
            add_conversation(session, f"ben-{i}", "ben", 40 + i, days_ago=2 + i, touchpoint=technical,
                             channel="phone")
            add_conversation(session, f"bot-{i}", None, 75, days_ago=1, touchpoint=warranty, channel="web_chat")
        add_conversation(session, "ben-old", "ben", 0, days_ago=400, touchpoint=technical)  # outside the window
    return session_factory


def test_agent_and_touchpoint_means(seeded):
    with seeded() as session:
        stats = {(s.subject, s.dimension): s for s in agent_stats(session, since=utcnow() - timedelta(days=30))}
        assert stats[("ana", "politeness")].mean == pytest.approx(87.5)  # 85..90
        ben = stats[("ben", "politeness")]
        assert ben.mean == pytest.approx(42.5) and ben.conversations == 6  # the 400-day-old one is outside
        assert stats[("bot", "politeness")].conversations == 6
        touchpoints = {s.subject: s for s in touchpoint_stats(session, since=utcnow() - timedelta(days=30))}
        assert set(touchpoints) == {"warranty / email", "technical / phone", "warranty / web_chat"}


def test_gap_report_json_and_plot(seeded, db_url, monkeypatch, tmp_path):
    monkeypatch.setenv("CXQA_DATABASE_URL", db_url)
    chart = tmp_path / "gaps.png"
    result = runner.invoke(app, ["report", "gaps", "--json", "--plot", str(chart)])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [(g["agent"], g["dimension"]) for g in report["gaps"]] == [("ben", "politeness")]
    assert chart.stat().st_size > 5000 and chart.read_bytes()[:4] == b"\x89PNG"


def test_touchpoint_report_lists_bot_and_human_touchpoints(seeded, db_url, monkeypatch):
    monkeypatch.setenv("CXQA_DATABASE_URL", db_url)
    result = runner.invoke(app, ["report", "touchpoints", "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["touchpoint"]: row for row in json.loads(result.stdout)["touchpoints"]}
    assert rows["warranty / web_chat"]["politeness"] == 75 and rows["technical / phone"]["politeness"] == 42.5


def test_coaching_assignment_and_review_see_the_change(seeded):
    targets = load_targets()
    assigned_at = utcnow() - timedelta(days=1.5)
    with seeded.begin() as session:
        assignment = assign(session, targets, agent_id="ben", dimension="politeness", now=assigned_at,
                            assigned_by="trainer-tom", note="greet and thank")
        assert assignment.baseline_value == pytest.approx(42.5)
        technical = session.scalars(select(Touchpoint).where(Touchpoint.name == "technical")).one()
        for i in range(6):  # after the coaching, ben is politer
            add_conversation(session, f"ben-after-{i}", "ben", 80 + (i % 2), days_ago=1 - i * 0.1,
                             touchpoint=technical)
    with seeded() as session:
        (result,) = review(session, targets, utcnow())
        assert result.effect.before_n == 6 and result.effect.after_n == 6
        assert result.effect.difference == pytest.approx(80.5 - 42.5)
        assert result.effect.verdict == "improved" and result.meets_target is True


def test_coaching_errors_are_clear(seeded, db_url, monkeypatch):
    with seeded.begin() as session, pytest.raises(CoachingError, match="unknown dimension"):
        assign(session, load_targets(), agent_id="ben", dimension="charm", now=utcnow())
    monkeypatch.setenv("CXQA_DATABASE_URL", db_url)
    result = runner.invoke(app, ["coach", "assign", "nobody", "politeness"])
    assert result.exit_code == 1 and "unknown agent 'nobody'" in result.output
    ok = runner.invoke(app, ["coach", "assign", "ben", "politeness", "--by", "tom"])
    assert ok.exit_code == 0 and "baseline 42.5" in ok.output
    listed = json.loads(runner.invoke(app, ["coach", "review", "--json"]).stdout)["assignments"]
    assert listed[0]["agent"] == "ben" and listed[0]["verdict"] == "too early"
    assert runner.invoke(app, ["coach", "done", str(listed[0]["id"])]).exit_code == 0
    with seeded() as session:
        assert session.scalars(select(CoachingAssignment.status)).one() == "done"
