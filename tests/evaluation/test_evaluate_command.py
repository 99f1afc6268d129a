"""``cxqa evaluate`` on small labelled files: the figures it prints, JSON output, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from analytics.cli import app

runner = CliRunner()


def conversation(cid: str, customer: list[str], agent: list[str], labels: dict, pair: dict | None = None) -> dict:
    turns = []
    for index, (said, answered) in enumerate(zip(customer, agent, strict=True)):
        turns.append({"speaker": "customer", "text": said, "ts": f"2026-11-02T09:{index * 2:02d}:00Z"})
        turns.append({"speaker": "agent", "agent_id": "agent-x", "text": answered,
                      "ts": f"2026-11-02T09:{index * 2 + 1:02d}:00Z"})
    row = {"conversation_id": cid, "channel": "web_chat", "turns": turns, "labels": labels}
    if pair:
        row["pair"] = pair
    return row


CALM = {"resolved": True, "complaint": False, "deescalated": None, "politeness": "high", "efficiency": "high",
        "complaint_peak_turn": None}
ANGRY = {"resolved": False, "complaint": True, "deescalated": False, "politeness": "low", "efficiency": "low",
         "complaint_peak_turn": 0}


def write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def test_figures_for_an_easy_labelled_set(tmp_path):
    rows = [
        conversation("good", ["Hi, how do I reset my speaker?"],
                     ["Hello! Thanks for asking. Hold the button for 10 seconds and it resets. Happy to help!"],
                     CALM, {"id": "p1", "focus": "politeness", "better": True}),
        conversation("bad", ["Hi, how do I reset my speaker?"],
                     ["Read the manual. Not my problem."],
                     dict(CALM, politeness="low"), {"id": "p1", "focus": "politeness", "better": False}),
        conversation("angry", ["This is the THIRD time it broke!!! Absolutely ridiculous, I want a refund now."],
                     ["As I already said, that's not our fault."], ANGRY),
    ]
    result = runner.invoke(app, ["evaluate", str(write(tmp_path / "l.jsonl", rows)), "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert figures["pairs"]["politeness"] == {"value": 1.0, "ci95": figures["pairs"]["politeness"]["ci95"], "n": 1}
    assert figures["flags"]["complaint"]["accuracy"]["value"] == 1.0
    assert set(figures["goals_met"]) >= {"resolved accuracy", "complaint kappa", "politeness pairs", "politeness rho"}


def test_a_bad_label_is_reported_with_line_and_field(tmp_path):
    rows = [conversation("a", ["hi"], ["hello"], CALM),
            conversation("b", ["hi"], ["hello"], dict(CALM, politeness="ok"))]
    result = runner.invoke(app, ["evaluate", str(write(tmp_path / "l.jsonl", rows))])
    assert result.exit_code == 2
    assert "line 2: field 'labels.politeness': expected one of low|medium|high" in result.output
    assert "Traceback" not in result.output


def test_deescalated_must_be_null_without_a_complaint(tmp_path):
    rows = [conversation("a", ["hi"], ["hello"], dict(CALM, deescalated=True))]
    result = runner.invoke(app, ["evaluate", str(write(tmp_path / "l.jsonl", rows))])
    assert result.exit_code == 2 and "labels.deescalated" in result.output


def test_posts_against_vader_and_replies(tmp_path):
    conversations = write(tmp_path / "c.jsonl", [conversation("a", ["hi"], ["hello, thanks!"], CALM),
                                                  conversation("b", ["hi"], ["what"], dict(CALM, politeness="low"))])
    posts = write(tmp_path / "p.jsonl", [
        {"id": "1", "text": "my order never arrived, third time this month. useless", "labels": {"complaint": True}},
        {"id": "2", "text": "thanks @shop, lovely service today", "labels": {"complaint": False}},
        {"id": "3", "text": "still waiting for my refund after 6 weeks", "labels": {"complaint": True}},
        {"id": "4", "text": "what time do you open on sunday?", "labels": {"complaint": False}}])
    replies = write(tmp_path / "r.jsonl", [
        {"id": "1", "text": "Thank you so much for your patience, I'm sorry about this.",
         "labels": {"politeness": "polite"}},
        {"id": "2", "text": "Read the FAQ. Not my job.", "labels": {"politeness": "impolite"}},
        {"id": "3", "text": "Your order ships Monday.", "labels": {"politeness": "neutral"}}])
    result = runner.invoke(app, ["evaluate", str(conversations), "--posts", str(posts), "--replies", str(replies),
                                 "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert set(figures["posts"]) == {"cxqa", "vader"}
    assert figures["posts"]["vader"]["auc"]["n"] == 4
    assert figures["replies"]["accuracy_polite_vs_impolite"]["n"] == 2
