"""``cxqa nps ...`` through the real CLI (typer's CliRunner) on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from analytics.cli import app
from analytics.nps.recording import record_survey, record_survey_durably
from analytics.nps.spool import SPOOL_ENV
from analytics.storage import make_engine, make_session_factory
from analytics.storage.models import NpsResponse

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "nps_responses.csv"


@pytest.fixture
def cxqa(db_url, monkeypatch, tmp_path):
    monkeypatch.setenv("CXQA_DATABASE_URL", db_url)
    monkeypatch.setenv(SPOOL_ENV, str(tmp_path / "spool.jsonl"))
    runner = CliRunner()

    def run(*args: str, code: int = 0):
        result = runner.invoke(app, list(args))
        assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
        assert "Traceback" not in result.output
        return result

    return run


def _count(session_factory) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(NpsResponse))


def test_import_then_summary_json(cxqa, session_factory, conversation_builder) -> None:
    with session_factory.begin() as session:
        conversation_builder(session, "hd-1005", source="import", channel="email", touchpoint="technical",
                             customer_id="cust-005", segment="consumer", agents=("agent-dev",))
    first = cxqa("nps", "import", str(EXAMPLE))
    assert "8 new, 0 updated; 1 joined to their conversation, 2 waiting" in " ".join(first.stdout.split())
    again = cxqa("nps", "import", str(EXAMPLE))
    assert "0 new, 8 updated" in " ".join(again.stdout.split())
    assert _count(session_factory) == 8

    data = json.loads(cxqa("nps", "summary", "--json").stdout)
    # answered in the example: 8, 3, 10, 9, 5, 7 -> P 2 (10, 9), Pa 2 (8, 7), D 2 (3, 5); n = 6; NPS 0
    # 1 declined, 1 abandoned -> response rate 6 / 8 = 75%
    overall = data["overall"]
    assert {k: overall[k] for k in ("responses", "nps", "promoters", "passives", "detractors", "declined",
                                    "abandoned", "response_rate")} == {
        "responses": 6, "nps": 0.0, "promoters": 2, "passives": 2, "detractors": 2, "declined": 1,
        "abandoned": 1, "response_rate": 75.0}
    assert len(overall["ci95"]) == 2 and data["groups"] == [overall]

    by_channel = {g["group"]: g for g in json.loads(cxqa("nps", "summary", "--by", "channel", "--json").stdout)
                  ["groups"]}
    # srv-5001 took "email" from its conversation hd-1005; srv-5002's conversation is not imported: no channel
    assert by_channel["email"]["responses"] == 2 and by_channel[None]["responses"] == 1
    for group in by_channel.values():
        assert {"responses", "nps", "promoters", "passives", "detractors", "ci95"} <= set(group)

    by_agent = {g["group"]: g for g in json.loads(cxqa("nps", "summary", "--by", "agent", "--json").stdout)
                ["groups"]}
    assert by_agent["agent-ben"]["responses"] == 1 and by_agent["agent-ben"]["declined"] == 1
    assert by_agent["agent-dev"]["responses"] == 2  # from the conversation (srv-5001) and the CSV (srv-5004)

    table = cxqa("nps", "summary", "--by", "touchpoint").stdout
    assert "NPS by touchpoint" in table and "technical" in table and "adjusted Wald" in table


def test_invalid_csv_writes_nothing_and_explains(cxqa, session_factory, tmp_path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("survey_id,score,responded_at\ns-1,9,2026-11-02T10:00:00Z\ns-2,12,2026-11-02T10:00:00Z\n")
    result = cxqa("nps", "import", str(path), code=1)
    assert "row 3, column 'score': expected a whole number from 0 to 10, got '12'" in result.stderr
    assert "Nothing was imported." in result.stderr
    assert _count(session_factory) == 0
    assert "valid" in cxqa("nps", "import", str(EXAMPLE), "--dry-run").stdout
    assert _count(session_factory) == 0
    missing = cxqa("nps", "import", str(tmp_path / "nope.csv"), code=2)
    assert "no such file" in missing.stderr


def test_detractors_followup_closed_loop(cxqa, session_factory) -> None:
    with session_factory.begin() as session:
        detractor = record_survey(
            session, source="rasa", survey_key="k1", status="answered", score=2, customer_id="cust-1",
            comment="Rude. Mail me at jo@example.com or call +44 20 7946 0958 [bold red]now[/] \x1b[31m!",
            responded_at=datetime(2026, 11, 2, 10, 0), touchpoint="warranty", channel="web_chat")
        promoter = record_survey(session, source="rasa", survey_key="k2", status="answered", score=10,
                                 responded_at=datetime(2026, 11, 2, 10, 0))
    items = json.loads(cxqa("nps", "detractors", "--json").stdout)
    assert [(i["id"], i["status"], i["due"], i["overdue"]) for i in items] == [
        (detractor.id, "open", "2026-11-04T10:00:00Z", True)]
    assert items[0]["comment"] == "Rude. Mail me at [email] or call [phone] [bold red]now[/] [31m!"
    table = cxqa("nps", "detractors").stdout
    assert "[email]" in table and "jo@example.com" not in table and "\x1b" not in table
    assert "[bold red]now[/]" in " ".join(table.split())  # shown literally, not interpreted as markup

    cxqa("nps", "followup", str(detractor.id), "--owner", "maria", "--status", "in_progress")
    assert json.loads(cxqa("nps", "detractors", "--json").stdout)[0]["owner"] == "maria"
    cxqa("nps", "followup", str(detractor.id), "--status", "closed")
    assert json.loads(cxqa("nps", "detractors", "--json").stdout) == []
    assert "no detractor follow-ups open" in cxqa("nps", "detractors").stdout
    assert len(json.loads(cxqa("nps", "detractors", "--all", "--json").stdout)) == 1

    not_detractor = cxqa("nps", "followup", str(promoter.id), "--status", "closed", code=1)
    assert f"NPS response {promoter.id} is not a detractor" in not_detractor.stderr
    bad_status = cxqa("nps", "followup", str(detractor.id), "--status", "done", code=1)
    assert "status must be one of open|in_progress|closed" in bad_status.stderr


def test_trend_table_json_and_plot(cxqa, session_factory, tmp_path) -> None:
    with session_factory.begin() as session:
        for day, score in ((2, 10), (3, 4), (10, 9), (24, 8)):
            record_survey(session, source="rasa", survey_key=f"d{day}", status="answered", score=score,
                          responded_at=datetime(2026, 11, day, 12, 0))
    trend = json.loads(cxqa("nps", "trend", "--json").stdout)
    assert [(w["week"], w["responses"], w["nps"], w["change"]) for w in trend] == [
        ("2026-W45", 2, 0.0, None), ("2026-W46", 1, 100.0, 100.0), ("2026-W47", 0, None, None),
        ("2026-W48", 1, 0.0, -100.0)]
    plot = tmp_path / "out" / "trend.png"
    result = cxqa("nps", "trend", "--plot", str(plot))
    assert "2026-W46" in result.stdout
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and plot.stat().st_size > 5000
    assert "must name a .png file" in cxqa("nps", "trend", "--plot", str(tmp_path / "t.txt"), code=2).stderr


def test_bad_options_are_explained(cxqa) -> None:
    assert "--by must be one of touchpoint|channel|agent|segment|week" in cxqa(
        "nps", "summary", "--by", "colour", code=2).stderr
    assert "--since must be a date or timestamp" in cxqa("nps", "summary", "--since", "last week", code=2).stderr


def test_empty_database_summary(cxqa) -> None:
    data = json.loads(cxqa("nps", "summary", "--json").stdout)
    assert data["overall"]["responses"] == 0 and data["overall"]["nps"] is None
    assert "no NPS answers yet" in cxqa("nps", "trend").stdout


def test_flush_spool_and_link_commands(cxqa, db_url, session_factory, tmp_path, conversation_builder) -> None:
    down = make_session_factory(make_engine(f"sqlite:///{tmp_path / 'not-migrated.db'}"))
    spooled = record_survey_durably(down, backoff_seconds=0, source="rasa", survey_key="s1", status="answered",
                                    score=9, conversation_external_id="sender-1",
                                    responded_at=datetime(2026, 11, 2, 10, 0))
    assert spooled.outcome == "spooled"
    assert "stored 1 spooled answer(s); 0 still waiting" in cxqa("nps", "flush-spool").stdout
    with session_factory.begin() as session:
        conversation_builder(session, "sender-1", source="rasa", channel="web_chat")
    assert "linked 1 survey(s)" in cxqa("nps", "link").stdout
    with session_factory() as session:
        assert session.scalars(select(NpsResponse)).one().channel == "web_chat"


def test_database_down_is_one_clear_line(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("CXQA_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:1/none")
    result = CliRunner().invoke(app, ["nps", "summary"])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: database:") and "cxqa db upgrade" in result.stderr
    assert "Traceback" not in result.output
