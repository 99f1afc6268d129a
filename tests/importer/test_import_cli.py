"""`cxqa import` as a user runs it: a subprocess, real files, real database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from analytics.storage import Conversation, Turn

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def cxqa(db_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CXQA_DATABASE_URL": db_url, "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "analytics.cli", *args], env=env, capture_output=True,
                          text=True, timeout=120)


def counts(session_factory) -> tuple[int, int]:
    with session_factory() as session:
        return (session.scalar(select(func.count()).select_from(Conversation)),
                session.scalar(select(func.count()).select_from(Turn)))


def test_importing_the_example_twice_leaves_the_same_row_counts(db_url, session_factory):
    first = cxqa(db_url, "import", str(EXAMPLES / "transcripts.jsonl"))
    assert first.returncode == 0, first.stderr
    assert "imported 8 conversation(s)" in first.stdout
    after_first = counts(session_factory)
    second = cxqa(db_url, "import", str(EXAMPLES / "transcripts.jsonl"))
    assert second.returncode == 0 and "8 already imported" in second.stdout
    assert counts(session_factory) == after_first == (8, 37)


def test_bad_line_among_ten_thousand_writes_nothing_and_names_it(db_url, session_factory, tmp_path):
    good = json.loads((EXAMPLES / "transcripts.jsonl").read_text("utf-8").splitlines()[0])
    path = tmp_path / "big.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for index in range(10_001):
            record = {**good, "conversation_id": f"big-{index}"}
            if index == 7_777:
                record["turns"] = [{"speaker": "customer", "text": "hi", "ts": "last tuesday"}]
            out.write(json.dumps(record) + "\n")
    result = cxqa(db_url, "import", str(path))
    assert result.returncode == 1
    assert "line 7778" in result.stderr and "turns[0].ts" in result.stderr and "ISO 8601" in result.stderr
    assert "Nothing was imported" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert counts(session_factory) == (0, 0)


def test_missing_file_and_bad_format_are_clear_errors(db_url, tmp_path):
    missing = cxqa(db_url, "import", str(tmp_path / "nope.jsonl"))
    assert missing.returncode == 2 and "no such file" in missing.stderr
    wrong = cxqa(db_url, "import", "--format", "xml", str(EXAMPLES / "transcripts.jsonl"))
    assert wrong.returncode == 2 and "--format must be jsonl or csv" in wrong.stderr


def test_nps_answers_imported_first_join_their_conversations_on_import(db_url, session_factory):
    from analytics.storage import NpsResponse

    assert cxqa(db_url, "nps", "import", str(EXAMPLES / "nps_responses.csv")).returncode == 0
    result = cxqa(db_url, "import", str(EXAMPLES / "transcripts.jsonl"))
    assert result.returncode == 0 and "Linked 2 earlier NPS answer(s)" in result.stdout
    with session_factory() as session:
        linked = session.execute(
            select(Conversation.external_id, NpsResponse.touchpoint).join(
                NpsResponse, NpsResponse.conversation_id == Conversation.id).where(
                NpsResponse.survey_key.in_(["srv-5001", "srv-5002"]))
        ).all()
    assert sorted(linked) == [("hd-1005", "technical"), ("hd-1008", "billing")]


def test_values_with_markup_surrogates_and_nul_are_shown_plainly_without_a_traceback(db_url, session_factory,
                                                                                        tmp_path):
    """Probe finding 5: ``[/red]`` in a value broke rich's markup; a CSV NUL byte gave a traceback."""
    good = json.loads((EXAMPLES / "transcripts.jsonl").read_text("utf-8").splitlines()[0])
    markup = tmp_path / "markup.jsonl"
    markup.write_text(json.dumps({**good, "turns": [{"speaker": "[/red][bold]", "text": "hi"}]}) + "\n", "utf-8")
    surrogate = tmp_path / "surrogate.jsonl"
    surrogate.write_text(json.dumps({**good, "conversation_id": "id-\ud800"}) + "\n", "utf-8")
    nul = tmp_path / "nul.csv"
    nul.write_text("conversation_id,channel,speaker,text\na,phone,customer,he\x00llo\n", "utf-8")
    expected = {markup: "'[/red][bold]'", surrogate: "lone surrogate (\\ud800)", nul: "NUL character"}
    for path, shown in expected.items():
        result = cxqa(db_url, "import", str(path))
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr + result.stdout
        assert shown in result.stderr
        assert ("line 1" if path.suffix == ".jsonl" else "row 2") in result.stderr
        assert "Nothing was imported" in result.stderr
    assert counts(session_factory) == (0, 0)
