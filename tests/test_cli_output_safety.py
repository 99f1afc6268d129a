"""Finding 6 of the security probe: hostile stored values never reach a support lead's terminal as such.

Every command of the ``cxqa`` Typer app is run (the list is taken from the app: a new command fails
``test_every_command_is_swept`` until it is swept or excluded with a reason) against a database (SQLite and
PostgreSQL) seeded with ANSI/OSC escapes, C0/C1 controls, a bidi override, Rich markup, matplotlib mathtext,
card numbers, e-mails and phone numbers in every customer-controlled or imported field. For each run:
no control/format character in stdout or stderr, Rich markup shown literally, personal data in free text
redacted, JSON valid (ids verbatim once parsed), PNG charts written. See docs/security.md,
"What is redacted where".
"""

from __future__ import annotations

import csv
import json
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import select
from typer.main import get_command
from typer.testing import CliRunner

from analytics.cli import app
from analytics.cli_output import json_text, show_id
from analytics.nps.spool import SPOOL_ENV
from analytics.storage import make_engine
from analytics.storage.models import Conversation, HandoffTicket, NpsResponse, Score
from analytics.sync.rasa_events_schema import create_events_table
from analytics.timeutil import utcnow
from tests.support.tracker_fixture import insert_events, recorded_events

# --- the probe's class of input ----------------------------------------------------------------------------
OSC = "\x1b]0;PWNED\x07\x1b[2J"  # sets the terminal title, clears the screen
CONTROLS = "\x08\x0b\x7f\x85\x9b31m"  # C0, DEL, C1 (NEL, CSI); NUL is refused by the import (finding 5)
BIDI = "\u202e"
MARKUP = "[/red][link=https://evil.example]x[/link]"
MATH = "$\\foo$"
HOSTILE = OSC + CONTROLS + BIDI + MARKUP + MATH
# Personal data in free text (turns, comments, summaries): must never be shown.
CARD, EMAIL, PHONE = "4111 1111 1111 1111", "jane.doe@example.com", "+44 20 7946 0958"
PII_TEXT = f"card {CARD}, mail {EMAIL}, call {PHONE}"
PII_SHOWN = (CARD, CARD.replace(" ", ""), EMAIL, "7946 0958")


def hostile(name: str) -> str:
    """An id or label of the probe's class."""
    return f"{name}{OSC}\x08\x85{BIDI}{MARKUP}{MATH}"


AGENTS = (hostile("agent"), hostile("agent2"))
SEGMENT = hostile("seg")[:64]
TOUCHPOINT = hostile("tp")
CHANNEL = f"c\x1b[2J\x9b{BIDI}[/red]$\\x$"  # channels are at most 32 characters
CUSTOMER = hostile("cust")
FREE_TEXT = f"{HOSTILE} {PII_TEXT}"

UNSAFE = {"Cc", "Cf", "Cs", "Zl", "Zp"}


def unsafe_characters(text: str) -> list[str]:
    return sorted({repr(c) for c in text if unicodedata.category(c) in UNSAFE and c not in "\n"})


# --- seeding: through the import commands where the data would come from, directly where the bot writes -----
def transcripts(path: Path) -> Path:
    start = utcnow() - timedelta(days=2)
    lines = []
    for number in range(12):
        agent = AGENTS[number % 2]
        lines.append(json.dumps({
            "conversation_id": f"hostile-{number}", "channel": CHANNEL, "touchpoint": TOUCHPOINT,
            "customer_id": CUSTOMER, "segment": SEGMENT, "started_at": f"{start:%Y-%m-%dT%H:%M:%SZ}",
            "turns": [{"speaker": "customer", "text": FREE_TEXT},
                      {"speaker": "agent", "agent_id": agent, "text": f"Sorry to hear that. {FREE_TEXT}"}],
            "nps": {"score": number % 11, "comment": FREE_TEXT},
        }))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def nps_csv(path: Path, bad: bool = False) -> Path:
    responded = f"{utcnow() - timedelta(days=1):%Y-%m-%dT%H:%M:%SZ}"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["survey_id", "conversation_id", "customer_id", "score", "comment", "responded_at",
                         "channel", "touchpoint", "agent_id", "segment"])
        writer.writerow([hostile("srv"), "hostile-0", CUSTOMER, "eleven" if bad else "2", FREE_TEXT, responded,
                         CHANNEL if bad else "chat", TOUCHPOINT, AGENTS[0], SEGMENT])  # NPS channels: a fixed list
    return path


def tracker(path: Path) -> str:
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    create_events_table(engine)
    rows = []
    for row in recorded_events():
        data = json.loads(row["data"]) if isinstance(row["data"], str) else dict(row["data"])
        if row.get("type_name") == "user" and isinstance(data.get("text"), str):
            data["text"] = f"{data['text']} {FREE_TEXT}"
        rows.append({**row, "data": data})
    insert_events(engine, rows)
    engine.dispose()
    return url


def seed_bot_rows(db_url: str) -> None:
    """What the bot writes itself (handoff tickets) and the scores the gap report needs (all below target)."""
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(HandoffTicket.__table__.insert(), [
            {"ticket_number": "HO-OPEN1", "sender_id": CUSTOMER, "reason": "\x1b[2J[/red]" + BIDI,
             "summary": FREE_TEXT, "status": "open", "created_at": utcnow(), "closed_at": None, "closed_by": None},
            {"ticket_number": "HO-CLOSED", "sender_id": CUSTOMER, "reason": "human", "summary": FREE_TEXT,
             "status": "closed", "created_at": utcnow(), "closed_at": utcnow(), "closed_by": AGENTS[1]},
        ])
        ids = conn.execute(select(Conversation.id)).scalars().all()
        conn.execute(Score.__table__.insert(), [
            {"conversation_id": cid, "dimension": dimension, "value": 10.0, "details": {}, "evidence": [],
             "scorer_version": "hostile", "scored_at": utcnow()}
            for cid in ids for dimension in ("politeness", "efficiency", "deescalation")])
    engine.dispose()


# --- the sweep ---------------------------------------------------------------------------------------------
@dataclass
class Run:
    args: list[str]
    code: int = 0
    stdin: bytes | None = None
    shows: tuple[str, ...] = ()  # literally in the output (markup not interpreted)
    json: bool = False
    png: Path | None = None
    check: Callable[[Result], None] | None = field(default=None, repr=False)


def _gaps_json(result: Result) -> None:
    data = json.loads(result.stdout)
    assert {row["agent"] for row in data["gaps"]} >= set(AGENTS)  # ids verbatim once parsed


def _detractors_json(result: Result) -> None:
    rows = json.loads(result.stdout)
    assert rows and all("[card]" in row["comment"] and "[email]" in row["comment"] for row in rows)
    assert CUSTOMER in {row["customer_id"] for row in rows}


def _summary_json(result: Result) -> None:
    groups = {group["group"] for group in json.loads(result.stdout)["groups"]}
    assert groups & {*AGENTS, SEGMENT, TOUCHPOINT, CHANNEL.lower()}  # the import lower-cases channels


def _json_lines(result: Result) -> None:
    assert len([json.loads(line) for line in result.stdout.splitlines() if line.strip()]) == 12


# Commands not run here, and why.
EXCLUDED = {
    "scheduler": "runs until Ctrl-C; prints its settings only (its jobs' output is the sync's and the survey's)",
}


def sweep(tmp: Path, tracker_url: str) -> Iterator[Run]:
    bad_jsonl = tmp / f"bad{MATH}.jsonl"
    bad_jsonl.write_text(json.dumps({"conversation_id": HOSTILE, "channel": 5}) + "\n",
                         encoding="utf-8")
    score_input = transcripts(tmp / "score.jsonl")
    bad_knowledge = tmp / "knowledge"
    bad_knowledge.mkdir()
    (bad_knowledge / "handoff.yml").write_text(f"expected_response: [{MARKUP}\n", encoding="utf-8")
    yield Run(["import", str(bad_jsonl)], code=1)
    yield Run(["nps", "import", str(nps_csv(tmp / "bad.csv", bad=True))], code=1)
    yield Run(["nps", "import", "--dry-run", str(nps_csv(tmp / "ok.csv"))])
    yield Run(["nps", "import", str(nps_csv(tmp / "ok.csv"))])
    yield Run(["nps", "link"])
    yield Run(["nps", "flush-spool"])
    yield Run(["sync", "--tracker-url", tracker_url])
    yield Run(["handoff", "list"], shows=("[/red]",))
    yield Run(["handoff", "list", "--all"], shows=("[/red]",))
    yield Run(["handoff", "close", "HO-CLOSED", "--agent", AGENTS[0]], code=1, shows=("[/red]",))
    yield Run(["handoff", "close", "HO-OPEN1", "--agent", AGENTS[0]], shows=("[/red]",))
    yield Run(["report", "gaps"], shows=("[/red]", MATH))
    yield Run(["report", "gaps", "--json"], json=True, check=_gaps_json)
    yield Run(["report", "gaps", "--plot", str(tmp / "gaps.png")], png=tmp / "gaps.png")
    yield Run(["report", "touchpoints"], shows=("[/red]",))
    yield Run(["report", "touchpoints", "--json"], json=True)
    for by in (None, "touchpoint", "channel", "agent", "segment", "week"):
        grouping = [] if by is None else ["--by", by]
        yield Run(["nps", "summary", *grouping], shows=("[/red]",) if by in ("touchpoint", "agent") else ())
        yield Run(["nps", "summary", *grouping, "--json"], json=True,
                  check=_summary_json if by in ("touchpoint", "channel", "agent", "segment") else None)
    yield Run(["nps", "trend"])
    yield Run(["nps", "trend", "--json"], json=True)
    yield Run(["nps", "trend", "--plot", str(tmp / "trend.png")], png=tmp / "trend.png")
    yield Run(["nps", "detractors", "--all"], shows=("[/red]", "[card]"))
    yield Run(["nps", "detractors", "--all", "--json"], json=True, check=_detractors_json)
    yield Run(["nps", "followup", "1", "--owner", hostile("owner"), "--status", "in_progress"], shows=("[/red]",))
    yield Run(["nps", "followup", "1", "--status", HOSTILE], code=1)
    yield Run(["nps", "detractors"], shows=("[/red]",))
    yield Run(["coach", "assign", hostile("nobody"), "politeness"], code=1, shows=("[/red]",))
    yield Run(["coach", "assign", AGENTS[0], "politeness", "--by", HOSTILE, "--note", FREE_TEXT],
              shows=("[/red]",))
    yield Run(["coach", "review"], shows=("[/red]",))
    yield Run(["coach", "review", "--json"], json=True)
    yield Run(["coach", "done", "1", "--status", "cancelled"])
    yield Run(["coach", "done", "1", "--status", HOSTILE], code=1)
    yield Run(["db", "status"])
    yield Run(["db", "upgrade"])
    yield Run(["seed-knowledge", "--knowledge-dir", str(bad_knowledge)], code=2)
    if "evaluate" in command_paths():  # the evaluation area registers it (analytics/evaluation, another helper's)
        yield Run(["evaluate", str(tmp / f"missing{OSC}.jsonl")], code=2)
    yield Run(["score-file", str(bad_jsonl)], code=2)
    yield Run(["score-file", str(score_input)], check=_json_lines)
    yield Run(["score-text"], stdin=(FREE_TEXT + "\nThank you so much!\n").encode())
    yield Run(["score", "--limit", "2"])


def command_paths() -> set[str]:
    def walk(command, prefix: tuple[str, ...]) -> Iterator[str]:
        subcommands = getattr(command, "commands", None)
        if subcommands is None:
            yield " ".join(prefix)
            return
        for name, sub in subcommands.items():
            yield from walk(sub, (*prefix, name))

    return set(walk(get_command(app), ()))


def _path_of(args: list[str]) -> str:
    paths = command_paths()
    return next(" ".join(args[:n]) for n in (2, 1) if " ".join(args[:n]) in paths)


def test_every_command_is_swept(tmp_path) -> None:
    swept = {_path_of(run.args) for run in sweep(tmp_path, "sqlite://")}
    assert command_paths() == swept | set(EXCLUDED), "sweep the new command here (or exclude it, saying why)"


@pytest.fixture
def hostile_db(db_url, monkeypatch, tmp_path) -> str:
    monkeypatch.setenv("CXQA_DATABASE_URL", db_url)
    monkeypatch.setenv(SPOOL_ENV, str(tmp_path / "spool.jsonl"))
    monkeypatch.setenv("COLUMNS", "400")  # wide tables: hostile values are not folded across lines
    result = CliRunner().invoke(app, ["import", str(transcripts(tmp_path / "hostile.jsonl"))])
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert not unsafe_characters(result.output)
    seed_bot_rows(db_url)
    return db_url


def invoke(run: Run) -> Result:
    result = CliRunner().invoke(app, run.args, input=run.stdin)
    where = f"cxqa {show_id(' '.join(run.args))}"
    assert result.exit_code == run.code, (where, result.stdout, result.stderr, result.exception)
    assert "Traceback" not in result.output, where
    assert not unsafe_characters(result.stdout), (where, unsafe_characters(result.stdout), result.stdout)
    assert not unsafe_characters(result.stderr), (where, unsafe_characters(result.stderr), result.stderr)
    for pii in PII_SHOWN:
        assert pii not in result.output, (where, pii)
    for literal in run.shows:
        assert literal in result.output, (where, literal, result.output)
    return result


def test_every_command_shows_hostile_values_safely(hostile_db, tmp_path) -> None:
    url = tracker(tmp_path / "tracker.db")
    for run in sweep(tmp_path, url):
        result = invoke(run)
        if run.json:
            json.loads(result.stdout)
        if run.png is not None:
            assert run.png.read_bytes()[:4] == b"\x89PNG", run.args
        if run.check is not None:
            run.check(result)


# --- the finding's items one by one ------------------------------------------------------------------------
def test_handoff_list_hides_escapes_and_personal_data(hostile_db) -> None:
    result = invoke(Run(["handoff", "list"]))
    assert "PWNED" in result.stdout and "\x1b" not in result.stdout  # shown, inert
    assert "[card]" in result.stdout and "[email]" in result.stdout and "[phone]" in result.stdout


def test_gaps_plot_draws_a_mathtext_agent_id(hostile_db, tmp_path) -> None:
    chart = tmp_path / "gaps.png"
    invoke(Run(["report", "gaps", "--plot", str(chart)]))
    assert chart.stat().st_size > 5000


@pytest.mark.parametrize("by", ["agent", "segment"])
def test_nps_summary_shows_ids_escaped(hostile_db, by) -> None:
    result = invoke(Run(["nps", "summary", "--by", by]))
    assert "\\x1b]0;PWNED\\x07" in result.stdout and "\\u202e" in result.stdout  # visible, not executed


def test_coach_review_and_gaps_show_agent_ids_escaped(hostile_db) -> None:
    invoke(Run(["coach", "assign", AGENTS[0], "politeness"]))
    assert show_id(AGENTS[0]) in " ".join(invoke(Run(["coach", "review"])).stdout.split())
    assert "\\x1b[2J" in invoke(Run(["report", "gaps"])).stdout


def test_json_keeps_ids_and_escapes_every_unsafe_character() -> None:
    text = json_text({"agent": AGENTS[0], "astral": "\U000e0041", "name": "Müller"})
    assert not unsafe_characters(text) and "Müller" in text and "\\u202e" in text
    assert json.loads(text) == {"agent": AGENTS[0], "astral": "\U000e0041", "name": "Müller"}


def test_stored_free_text_keeps_the_raw_value(hostile_db) -> None:
    """Redaction is for display only: the database keeps what was imported."""
    engine = make_engine(hostile_db)
    with engine.connect() as conn:
        comments = conn.execute(select(NpsResponse.comment)).scalars().all()
    engine.dispose()
    assert EMAIL in comments[0]
