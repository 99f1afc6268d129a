"""``cxqa score-text`` and ``cxqa score-file``: any UTF-8 in, one JSON line out per input, clear errors."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from analytics.cli import app

runner = CliRunner()

CONVERSATION = {
    "conversation_id": "web-1", "channel": "web_chat", "touchpoint": "warranty", "customer_id": "cu-1",
    "started_at": "2026-03-02T09:00:00Z",
    "turns": [
        {"speaker": "customer", "text": "This is ridiculous!!! My kettle broke after a week.",
         "ts": "2026-03-02T09:00:00Z"},
        {"speaker": "agent", "agent_id": "a-1", "text": "I'm so sorry! I'll send a replacement within 2 days.",
         "ts": "2026-03-02T09:01:00Z"},
        {"speaker": "customer", "text": "Thanks, that works.", "ts": "2026-03-02T09:02:00Z"},
    ],
}


def _lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines() if line.strip()]


def test_score_text_one_line_out_per_line_in():
    text = "Could you please help me?\n\nAs I already said, calm down.\nI want a REFUND now!!!\n"
    result = runner.invoke(app, ["score-text"], input=text.encode())
    assert result.exit_code == 0, result.output
    rows = _lines(result.stdout)
    assert len(rows) == 4
    assert rows[0]["polite"] is True and rows[0]["politeness"] >= 0.5
    assert "PLEASE" in rows[0]["strategies"]
    assert rows[1]["politeness"] is not None and rows[1]["strategies"] == []  # an empty line still answers
    assert rows[2]["polite"] is False and "DISMISSIVE" in rows[2]["strategies"]
    assert rows[3]["is_complaint"] is True and rows[3]["complaint"] >= 0.5
    for row in rows:
        assert 0 <= row["politeness"] <= 1 and 0 <= row["complaint"] <= 1


def test_score_text_survives_bad_bytes_and_odd_unicode():
    payload = b"caf\xc3\xa9 \xff\xfe broken\n\xed\xa0\x80 lone surrogate\n\x00\x01 control\n\xf0\x9f\x98\xa1 !!!\n"
    result = runner.invoke(app, ["score-text"], input=payload)
    assert result.exit_code == 0, result.output
    assert len(_lines(result.stdout)) == 4


def test_score_file_writes_one_row_per_conversation(tmp_path):
    later = dict(CONVERSATION, conversation_id="web-2", started_at="2026-03-05T10:00:00Z",
                 turns=[{"speaker": "customer", "text": "Hello again", "ts": "2026-03-05T10:00:00Z"}])
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps(CONVERSATION) + "\n\n" + json.dumps(later) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["score-file", str(path)])
    assert result.exit_code == 0, result.output
    first, second = _lines(result.stdout)
    assert first["conversation_id"] == "web-1"
    assert 0 <= first["politeness"] <= 100 and 0 <= first["efficiency"] <= 100
    assert first["complaint"] is True and first["deescalated"] is True and 0 <= first["deescalation"] <= 100
    assert first["resolved"] is True
    assert first["first_response_seconds"] == 60 and first["handle_seconds"] == 120
    assert first["first_contact_resolution"] is False  # the same customer came back within 7 days
    assert second["first_contact_resolution"] is True
    assert second["complaint"] is False and second["deescalated"] is None and second["deescalation"] is None
    assert {item["dimension"] for item in first["evidence"]} >= {"politeness", "deescalation"}


@pytest.mark.parametrize(("content", "message"), [
    ('{"conversation_id": "x", "channel": "web_chat", "turns": [}\n', "line 1: not valid JSON"),
    (json.dumps(CONVERSATION) + "\n[1, 2]\n", "line 2"),
    (json.dumps(CONVERSATION) + "\n" + json.dumps(dict(CONVERSATION, turns=[{"speaker": "ghost", "text": ""}])),
     "line 2: field 'turns[0].speaker'"),
])
def test_score_file_bad_input_names_the_line(tmp_path, content, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(content, encoding="utf-8")
    result = runner.invoke(app, ["score-file", str(path)])
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output
    assert result.stdout.strip() == "" or "conversation_id" not in result.stdout


def test_score_file_missing_file(tmp_path):
    result = runner.invoke(app, ["score-file", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 2 and "no such file" in result.output


def test_score_file_with_workers(tmp_path):
    path = tmp_path / "many.jsonl"
    rows = [dict(CONVERSATION, conversation_id=f"w-{number}") for number in range(300)]
    path.write_text("\n".join(json.dumps(row) for row in rows), encoding="utf-8")
    result = runner.invoke(app, ["score-file", str(path), "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert [row["conversation_id"] for row in _lines(result.stdout)] == [f"w-{number}" for number in range(300)]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.one_of(st.binary(max_size=80), st.text(max_size=80).map(str.encode),
                          st.just(json.dumps(CONVERSATION).encode())), min_size=1, max_size=4))
def test_score_file_never_crashes_on_odd_lines(tmp_path_factory, lines):
    path = tmp_path_factory.mktemp("odd") / "odd.jsonl"
    path.write_bytes(b"\n".join(line.replace(b"\n", b" ") for line in lines))
    result = runner.invoke(app, ["score-file", str(path)])
    assert result.exit_code in (0, 2), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    if result.exit_code == 2:
        assert "line" in result.output


def test_importer_records_score_directly():
    from analytics.importer.records import parse_conversation
    from analytics.scoring import score_conversation

    scores = score_conversation(parse_conversation(dict(CONVERSATION, outcome={"resolved": False})))
    assert scores.conversation_id == "web-1"
    assert scores.resolved is False and scores.efficiency.details["resolved_basis"] == "outcome"
    assert scores.complaint is True
