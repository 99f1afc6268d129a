"""CSV import of NPS from human touchpoints, on SQLite and PostgreSQL: validate all, then write; idempotent."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from analytics.nps.csv_import import NpsCsvError, import_nps_csv, validate_nps_csv
from analytics.nps.recording import link_unlinked_responses
from analytics.storage.models import NpsResponse

REPO = Path(__file__).resolve().parents[2]
HEADER = "survey_id,conversation_id,source,customer_id,score,comment,responded_at,channel,touchpoint,agent_id\n"


def _write(tmp_path: Path, body: str, header: str = HEADER, name: str = "nps.csv") -> Path:
    path = tmp_path / name
    path.write_text(header + body, encoding="utf-8")
    return path


def _rows(session) -> dict[str, NpsResponse]:
    return {row.survey_key: row for row in session.scalars(select(NpsResponse))}


def test_imports_and_joins_conversations(session_factory, tmp_path, conversation_builder) -> None:
    with session_factory.begin() as session:
        conversation = conversation_builder(session, "hd-1", source="import", channel="phone",
                                            touchpoint="warranty", customer_id="cust-1", segment="business",
                                            agents=("agent-a", "agent-b"))
    path = _write(tmp_path, (
        "s-1,hd-1,,,3,Slow,2026-11-02T10:00:00Z,,,\n"  # blanks filled from the conversation
        "s-2,,,cust-9,10,Lovely,2026-11-02T11:00:00+01:00,store,sales,agent-c;agent-d\n"
        "s-3,hd-404,,cust-8,7,,2026-11-03 09:00,email,technical,agent-a\n"  # conversation not imported yet
    ))
    with session_factory.begin() as session:
        result = import_nps_csv(session, path)
    assert (result.rows, result.inserted, result.updated, result.linked, result.unlinked,
            result.followups_opened) == (3, 3, 0, 1, 1, 1)
    with session_factory() as session:
        rows = _rows(session)
    joined = rows["s-1"]
    assert (joined.source, joined.conversation_id, joined.channel, joined.touchpoint, joined.customer_id,
            joined.segment, joined.agent_ids) == ("import", conversation.id, "phone", "warranty", "cust-1",
                                                  "business", ["agent-a", "agent-b"])
    assert (joined.followup_status, joined.followup_due) == ("open", datetime(2026, 11, 4, 10, 0))
    store = rows["s-2"]
    assert (store.responded_at, store.channel, store.agent_ids, store.conversation_id) == (
        datetime(2026, 11, 2, 10, 0), "store", ["agent-c", "agent-d"], None)
    assert rows["s-3"].conversation_external_id == "hd-404" and rows["s-3"].conversation_id is None


def test_reimport_is_idempotent_and_keeps_followup_work(session_factory, tmp_path) -> None:
    path = _write(tmp_path, "s-1,,,cust-1,2,Bad,2026-11-02T10:00:00Z,phone,warranty,agent-a\n")
    with session_factory.begin() as session:
        import_nps_csv(session, path)
    with session_factory.begin() as session:
        row = session.scalars(select(NpsResponse)).one()
        row.followup_owner, row.followup_status = "maria", "in_progress"
    corrected = _write(tmp_path, "s-1,,,cust-1,2,Bad service,2026-11-02T10:00:00Z,phone,warranty,agent-a\n")
    with session_factory.begin() as session:
        result = import_nps_csv(session, corrected)
    assert (result.inserted, result.updated, result.followups_opened) == (0, 1, 0)
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(NpsResponse)) == 1
        row = session.scalars(select(NpsResponse)).one()
        assert (row.comment, row.followup_owner, row.followup_status) == ("Bad service", "maria", "in_progress")


def test_source_column_and_default_source(session_factory, tmp_path, conversation_builder) -> None:
    with session_factory.begin() as session:
        conversation_builder(session, "T-1", source="zendesk", channel="email")
        conversation_builder(session, "T-1", source="import", channel="phone")
    path = _write(tmp_path, ("a,T-1,zendesk,,9,,2026-11-02T10:00:00Z,,,\n"
                             "b,T-1,,,9,,2026-11-02T10:00:00Z,,,\n"))
    with session_factory.begin() as session:
        import_nps_csv(session, path, default_source="import")
    with session_factory() as session:
        rows = _rows(session)
    assert (rows["a"].source, rows["a"].channel) == ("zendesk", "email")
    assert (rows["b"].source, rows["b"].channel) == ("import", "phone")


def test_declined_and_abandoned_rows(session_factory, tmp_path) -> None:
    path = _write(tmp_path, ("d,,,c1,,,2026-11-02T10:00:00Z,phone,,,declined\n"
                             "a,,,c2,,,2026-11-02T10:00:00Z,email,,,Abandoned\n"),
                  header=HEADER.rstrip("\n") + ",status\n")
    with session_factory.begin() as session:
        import_nps_csv(session, path)
    with session_factory() as session:
        rows = _rows(session)
    assert (rows["d"].status, rows["d"].score, rows["a"].status) == ("declined", None, "abandoned")


def test_no_followups_for_old_history(session_factory, tmp_path) -> None:
    path = _write(tmp_path, "s-1,,,c1,1,,2025-01-02T10:00:00Z,phone,,\n")
    with session_factory.begin() as session:
        result = import_nps_csv(session, path, create_followups=False)
        assert result.followups_opened == 0
        assert session.scalars(select(NpsResponse)).one().followup_status is None


def test_late_conversation_is_linked_afterwards(session_factory, tmp_path, conversation_builder) -> None:
    path = _write(tmp_path, "s-1,hd-9,,,9,,2026-11-02T10:00:00Z,,,\n")
    with session_factory.begin() as session:
        import_nps_csv(session, path)
    with session_factory.begin() as session:
        conversation = conversation_builder(session, "hd-9", source="import", channel="store")
        assert link_unlinked_responses(session) == 1
    with session_factory() as session:
        row = session.scalars(select(NpsResponse)).one()
        assert (row.conversation_id, row.channel) == (conversation.id, "store")


# With the standard header, every file starts with a valid row (row 2), to prove nothing is written when a
# later row is bad; the bad rows are row 3 onwards. (body, header or None for the standard one, messages)
VALID_ROW = "ok-1,,,,9,,2026-11-02T10:00:00Z,,,\n"
BAD_FILES = [
    ("s-1,,,,11,,2026-11-02T10:00:00Z,,,\n", None,
     ["row 3, column 'score': expected a whole number from 0 to 10, got '11'"]),
    ("s-1,,,,9,,2026-11-02T10:00:00Z,,,\ns-2,,,,nine,,2026-11-02T10:00:00Z,,,\n", None,
     ["row 4, column 'score': expected a whole number from 0 to 10, got 'nine'"]),
    ("s-1,,,,9,,02/11/2026,,,\n", None,
     ["row 3, column 'responded_at': expected a datetime or an ISO 8601 timestamp like 2026-11-02T09:15:00Z, "
      "got '02/11/2026'"]),
    ("s-1,,,,9,,,,,\n", None, ["row 3, column 'responded_at': expected a datetime or an ISO 8601 timestamp"]),
    (",,,,9,,2026-11-02T10:00:00Z,,,\n", None,
     ["row 3, column 'survey_id': expected a non-empty string, got an empty cell"]),
    ("s-1,,,,9,,2026-11-02T10:00:00Z,fax,,\n", None, ["row 3, column 'channel': expected one of web_chat|phone"]),
    ("s-1,,,,,,2026-11-02T10:00:00Z,,,\n", None,
     ["row 3, column 'score': expected a whole number from 0 to 10 (or a status column saying declined or "
      "abandoned), got an empty cell"]),
    ("s-1,,,,9,,2026-11-02T10:00:00Z,,,\ns-1,,,,8,,2026-11-02T10:00:00Z,,,\n", None,
     ["row 4, column 'survey_id': expected a survey id not already used in this file (row 3 has it), got 's-1'"]),
    ("s-1,,,,9,,2026-11-02T10:00:00Z,,,,extra\n", None,
     ["row 3: expected at most 10 cells (one per header column), got 11 cells"]),
    ("s-1,,,,9,,2026-11-02T10:00:00Z,,,,maybe\n", HEADER.rstrip("\n") + ",status\n" + VALID_ROW,
     ["row 3, column 'status': expected one of answered|declined|abandoned, got 'maybe'"]),
    ("s-1,9,2026-11-02T10:00:00Z\n", "survey_id,scor,responded_at\n",
     ["row 1, column 'scor': expected a known column: survey_id, conversation_id",
      "row 1, column 'score': expected this required column in the header"]),
    ("", "", ["row 1: expected a header row naming the columns"]),
]


@pytest.mark.parametrize(("body", "header", "messages"), BAD_FILES)
def test_invalid_file_names_row_and_column_and_writes_nothing(session_factory, tmp_path, body, header,
                                                              messages) -> None:
    path = _write(tmp_path, body, header=HEADER + VALID_ROW if header is None else header)
    with session_factory.begin() as session, pytest.raises(NpsCsvError) as error:
        import_nps_csv(session, path)
    for message in messages:
        assert message in str(error.value), str(error.value)
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(NpsResponse)) == 0


def test_reports_every_problem_not_just_the_first(tmp_path) -> None:
    body = "".join(f"s-{i},,,,{i + 20},,2026-11-02T10:00:00Z,,,\n" for i in range(25))
    with pytest.raises(NpsCsvError) as error:
        validate_nps_csv(_write(tmp_path, body))
    assert len(error.value.problems) == 25
    assert "... and 5 more problem(s)" in str(error.value)


def test_not_utf8(tmp_path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes((HEADER + "s-1,,,,9,Très bien,2026-11-02T10:00:00Z,,,\n").encode("latin-1"))
    with pytest.raises(NpsCsvError, match="expected UTF-8 text, got an undecodable byte"):
        validate_nps_csv(path)


def test_semicolon_csv_with_bom_and_blank_lines(session_factory, tmp_path) -> None:
    path = tmp_path / "excel.csv"
    path.write_text("\ufeffsurvey_id;score;responded_at;comment\n\ns-1;9;2026-11-02T10:00:00Z;\"Good; quick\"\n",
                    encoding="utf-8")
    with session_factory.begin() as session:
        assert import_nps_csv(session, path).inserted == 1
        assert session.scalars(select(NpsResponse)).one().comment == "Good; quick"


def test_example_file_is_valid() -> None:
    assert validate_nps_csv(REPO / "examples" / "nps_responses.csv") == 8


def test_large_file_in_batches(session_factory, tmp_path) -> None:
    start = datetime(2026, 11, 2)
    body = "".join(f"s-{i},,,c-{i % 50},{i % 11},,{(start + timedelta(minutes=i)).isoformat()}Z,phone,,a{i % 7}\n"
                   for i in range(1200))
    progress: list[tuple[int, int]] = []
    with session_factory.begin() as session:
        result = import_nps_csv(session, _write(tmp_path, body), on_progress=lambda d, t: progress.append((d, t)))
    assert result.inserted == 1200
    assert progress[0] == (500, 1200) and progress[-1] == (1200, 1200)
