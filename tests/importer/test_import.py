"""Import of JSON Lines and CSV transcripts, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from analytics.importer.readers import ImportFileError
from analytics.importer.service import import_file
from analytics.storage import Agent, Conversation, Customer, NpsResponse, Touchpoint, Turn

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def row_counts(session_factory) -> dict[str, int]:
    with session_factory() as session:
        return {model.__tablename__: session.scalar(select(func.count()).select_from(model))
                for model in (Conversation, Turn, Customer, Agent, Touchpoint, NpsResponse)}


def conversation(index: int, **overrides) -> dict:
    record = {
        "conversation_id": f"c-{index}",
        "channel": "email",
        "touchpoint": "warranty" if index % 2 else "technical",
        "customer_id": f"cust-{index % 7}",
        "segment": "consumer",
        "started_at": "2026-11-02T09:00:00Z",
        "turns": [
            {"speaker": "customer", "text": "My kettle is broken", "ts": "2026-11-02T09:00:00Z"},
            {"speaker": "agent", "agent_id": f"agent-{index % 3}", "text": "Sorry! I'll send a new one.",
             "ts": "2026-11-02T09:05:00+01:00"},
        ],
    }
    record.update(overrides)
    return record


def write_jsonl(path: Path, records: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records), "utf-8")
    return path


def test_example_file_imports_and_reimport_adds_nothing(session_factory):
    first = import_file(EXAMPLES / "transcripts.jsonl", session_factory)
    counts = row_counts(session_factory)
    assert first.written.conversations == counts["conversations"] == 8
    assert counts["nps_responses"] == 6
    second = import_file(EXAMPLES / "transcripts.jsonl", session_factory)
    assert second.written.conversations == 0 and second.written.skipped_existing == 8
    assert row_counts(session_factory) == counts


def test_csv_example_matches_its_jsonl_twin(session_factory):
    import_file(EXAMPLES / "transcripts.csv", session_factory)
    with session_factory() as session:
        stored = session.scalars(select(Conversation).where(Conversation.external_id == "hd-1003-csv")).one()
        assert [turn.speaker for turn in stored.turns] == ["customer", "agent", "customer", "agent"]
        assert stored.resolved_outcome is False
        assert stored.touchpoint.name == "warranty"
        nps = session.scalars(select(NpsResponse).where(NpsResponse.conversation_id == stored.id)).one()
        assert nps.score == 0 and nps.followup_status == "open"


def test_fields_are_stored_as_given_with_times_in_utc(tmp_path, session_factory):
    path = write_jsonl(tmp_path / "one.jsonl", [conversation(1, outcome={"resolved": True},
                                                             nps={"score": 9, "comment": "great"})])
    import_file(path, session_factory)
    with session_factory() as session:
        stored = session.scalars(select(Conversation)).one()
        assert (stored.source, stored.external_id, stored.channel) == ("import", "c-1", "email")
        assert stored.customer.segment == "consumer" and stored.resolved_outcome is True
        assert stored.turns[1].agent_id == "agent-1"
        assert stored.turns[1].ts.isoformat() == "2026-11-02T08:05:00"  # +01:00 -> UTC
        assert stored.ended_at == stored.turns[1].ts


def test_one_bad_line_among_many_writes_nothing_and_names_the_line(tmp_path, session_factory):
    records: list = [conversation(i) for i in range(2000)]
    records[1234] = conversation(1234, turns=[{"speaker": "robot", "text": "hi"}])
    path = write_jsonl(tmp_path / "bad.jsonl", records)
    with pytest.raises(ImportFileError) as error:
        import_file(path, session_factory)
    assert error.value.location == "line 1235"
    assert error.value.field == "turns[0].speaker"
    assert "customer|agent|bot" in str(error.value)
    assert row_counts(session_factory)["conversations"] == 0


@pytest.mark.parametrize(
    ("line", "field", "expected"),
    [
        ("{not json", None, "not valid JSON"),
        (json.dumps([1, 2]), "(line)", "a JSON object"),
        (json.dumps(conversation(9, conversation_id="")), "conversation_id", "non-empty string"),
        (json.dumps(conversation(9, turns=[])), "turns", "non-empty list"),
        (json.dumps(conversation(9, started_at="yesterday")), "started_at", "ISO 8601"),
        (json.dumps(conversation(9, nps={"score": 11})), "nps.score", "0 to 10"),
        (json.dumps(conversation(9, nps={"score": True})), "nps.score", "0 to 10"),
        (json.dumps(conversation(9, outcome={"resolved": "yes"})), "outcome.resolved", "true or false"),
        (json.dumps(conversation(9, turns=[{"speaker": "agent", "text": 5}])), "turns[0].text", "a string"),
        (json.dumps(conversation(9, turns=[{"speaker": "customer", "agent_id": "a", "text": "x"}])),
         "turns[0].agent_id", "no agent_id"),
    ],
)
def test_invalid_records_are_named_precisely(tmp_path, session_factory, line, field, expected):
    path = write_jsonl(tmp_path / "bad.jsonl", [conversation(1), line])
    with pytest.raises(ImportFileError) as error:
        import_file(path, session_factory)
    assert error.value.location == "line 2"
    assert error.value.field == field
    assert expected in str(error.value)
    assert row_counts(session_factory)["conversations"] == 0


def test_duplicate_id_in_file_is_an_error_naming_both_lines(tmp_path, session_factory):
    path = write_jsonl(tmp_path / "dup.jsonl", [conversation(1), conversation(2), conversation(1)])
    with pytest.raises(ImportFileError, match=r"line 3: .*'c-1' appears again \(first at line 1\)"):
        import_file(path, session_factory)
    assert row_counts(session_factory)["conversations"] == 0


def test_extra_keys_are_ignored_and_blank_lines_skipped(tmp_path, session_factory):
    path = write_jsonl(tmp_path / "x.jsonl", [conversation(1, priority="high"), "", conversation(2)])
    assert import_file(path, session_factory).written.conversations == 2


def test_same_id_from_another_source_is_another_conversation(tmp_path, session_factory):
    path = write_jsonl(tmp_path / "x.jsonl", [conversation(1)])
    import_file(path, session_factory, source="zendesk")
    import_file(path, session_factory, source="freshdesk")
    assert row_counts(session_factory)["conversations"] == 2


def test_non_utf8_file_is_refused(tmp_path, session_factory):
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(json.dumps(conversation(1)).encode() + b"\n" + '{"café": 1}'.encode("latin-1") + b"\n")
    with pytest.raises(ImportFileError, match="line 2: not UTF-8"):
        import_file(path, session_factory)
    assert row_counts(session_factory)["conversations"] == 0


def test_segment_changes_follow_the_latest_import(tmp_path, session_factory):
    import_file(write_jsonl(tmp_path / "a.jsonl", [conversation(7, customer_id="vip")]), session_factory)
    import_file(write_jsonl(tmp_path / "b.jsonl", [conversation(8, customer_id="vip", segment="gold")]),
                session_factory)
    with session_factory() as session:
        assert session.get(Customer, "vip").segment == "gold"


CSV_HEADER = "conversation_id,channel,touchpoint,customer_id,segment,started_at,speaker,agent_id,text,ts,resolved\n"


def test_csv_rows_of_a_conversation_must_be_together(tmp_path, session_factory):
    path = tmp_path / "split.csv"
    path.write_text(CSV_HEADER + "a,phone,,,,,customer,,hi,,\nb,phone,,,,,customer,,hello,,\n"
                    "a,phone,,,,,agent,x,hi again,,\n", "utf-8")
    with pytest.raises(ImportFileError, match=r"row 4: .*'a' appears again \(first at row 2\).*rows together"):
        import_file(path, session_factory)
    assert row_counts(session_factory)["conversations"] == 0


def test_csv_missing_column_and_bad_values(tmp_path, session_factory):
    path = tmp_path / "nocol.csv"
    path.write_text("conversation_id,channel,text\na,phone,hi\n", "utf-8")
    with pytest.raises(ImportFileError, match="missing column.*speaker"):
        import_file(path, session_factory)
    path.write_text(CSV_HEADER + "a,phone,,,,,customer,,hi,,maybe\n", "utf-8")
    with pytest.raises(ImportFileError, match="row 2: field 'resolved': expected true or false"):
        import_file(path, session_factory)
    assert row_counts(session_factory)["conversations"] == 0


def test_csv_multiline_quoted_text_and_bom(tmp_path, session_factory):
    path = tmp_path / "multi.csv"
    path.write_text("\ufeff" + CSV_HEADER + 'a,phone,,,,,customer,,"line one\nline two, with comma",,\n',
                    "utf-8")
    import_file(path, session_factory)
    with session_factory() as session:
        assert session.scalars(select(Turn.text)).one() == "line one\nline two, with comma"


def test_unknown_extension_needs_a_format(tmp_path, session_factory):
    path = write_jsonl(tmp_path / "data.txt", [conversation(1)])
    with pytest.raises(ImportFileError, match="--format"):
        import_file(path, session_factory)
    assert import_file(path, session_factory, file_format="jsonl").written.conversations == 1
