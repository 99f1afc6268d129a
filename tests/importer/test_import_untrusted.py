"""Finding 5 of the security probe: invalid files that used to write, crash or be mis-read.

Every case is a validation error naming the line (or row) and the field, and nothing is written, on SQLite
and PostgreSQL. The bad record sits at line 1,200, past the first write batch of 1,000: before the fix a
lone surrogate or NUL there was only found by the database, after 1,000 conversations were committed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analytics.importer.readers import ImportFileError
from analytics.importer.service import import_file
from tests.importer.test_import import conversation, row_counts

BAD_LINE = 1200
DEEP = 100_000
HUGE_INT = "9" * 5000


def with_turn(index: int, **turn) -> dict:
    return conversation(index, turns=[{"speaker": "customer", "text": "hi", **turn}])


def raw_line(record: dict, key: str, raw_value: str) -> str:
    """``record`` as JSON with ``key``'s value replaced by raw JSON text (json.dumps cannot write these)."""
    return json.dumps({**record, key: "@@"}).replace('"@@"', raw_value)


JSONL_CASES = {
    "lone surrogate in a turn's text": (json.dumps(with_turn(9, text="\ud800 hi")), "turns[0].text", "lone surrogate"),
    "NUL in a turn's text": (json.dumps(with_turn(9, text="\u0000 hi")), "turns[0].text", "NUL character"),
    "lone surrogate in the conversation id": (json.dumps(conversation(9, conversation_id="c-\udfff")),
                                              "conversation_id", "lone surrogate"),
    "lone surrogate in the customer id": (json.dumps(conversation(9, customer_id="\ud83d")), "customer_id",
                                          "lone surrogate"),
    "NUL in an agent id": (json.dumps(conversation(9, turns=[{"speaker": "agent", "agent_id": "a\u0000",
                                                              "text": "hi"}])), "turns[0].agent_id", "NUL"),
    "NUL in the NPS comment": (json.dumps(conversation(9, nps={"score": 3, "comment": "bad\u0000"})),
                               "nps.comment", "NUL character"),
    "NUL in the touchpoint": (json.dumps(conversation(9, touchpoint="\u0000")), "touchpoint", "NUL"),
    "integer of 5,000 digits as the NPS score": (raw_line(conversation(9), "nps", '{"score": ' + HUGE_INT + "}"),
                                                 "nps.score", "a number of 5000 digits"),
    "integer of 5,000 digits as the conversation id": (raw_line(conversation(9), "conversation_id", HUGE_INT),
                                                       "conversation_id", "a number of 5000 digits"),
    "JSON nested 100,000 deep": (raw_line(conversation(9), "turns", "[" * DEEP + "]" * DEEP), "turns",
                                 "nested too deeply"),
    "year 1 with +01:00 (before year 1 in UTC)": (json.dumps(conversation(9, started_at="0001-01-01T00:00:00+01:00")),
                                                  "started_at", "in the years 1970 to 2100"),
    "year 9999 with -01:00 (after 9999 in UTC)": (json.dumps(with_turn(9, ts="9999-12-31T23:30:00-01:00")),
                                                  "turns[0].ts", "in the years 1970 to 2100"),
    "year 9999 in UTC": (json.dumps(conversation(9, started_at="9999-12-31T23:59:59Z")), "started_at", "1970 to 2100"),
    "year 1 in UTC": (json.dumps(with_turn(9, ts="0001-01-01T00:00:00Z")), "turns[0].ts", "1970 to 2100"),
    "rich markup in a value": (json.dumps(with_turn(9, speaker="[/red]")), "turns[0].speaker", "'[/red]'"),
    "an id too long for its survey key": (json.dumps(conversation(9, conversation_id="x" * 250, nps={"score": 9})),
                                          "conversation_id", "at most 242 characters"),
    "a turn over 128 KiB": (json.dumps(with_turn(9, text="x" * 131_073)), "turns[0].text", "at most 131072"),
}


def write_lines(path: Path, bad_line: str, good_before: int = BAD_LINE - 1) -> Path:
    with path.open("w", encoding="utf-8") as out:
        for index in range(good_before):
            out.write(json.dumps(conversation(10_000 + index)) + "\n")
        out.write(bad_line + "\n")
    return path


@pytest.mark.parametrize("case", list(JSONL_CASES))
def test_jsonl_bad_value_at_line_1200_is_named_and_writes_nothing(tmp_path, session_factory, case):
    line, field, expected = JSONL_CASES[case]
    path = write_lines(tmp_path / "bad.jsonl", line)
    for _run in range(2):  # a second run gives the same error (it used to crash on what the first left)
        with pytest.raises(ImportFileError) as error:
            import_file(path, session_factory)
        assert error.value.location == f"line {BAD_LINE}"
        assert error.value.field == field
        assert expected in str(error.value)
        assert all(count == 0 for count in row_counts(session_factory).values())


CSV_HEADER = "conversation_id,channel,touchpoint,customer_id,segment,started_at,speaker,agent_id,text,ts,resolved\n"


def csv_row(conversation_id: str, text: str = "hello", ts: str = "", resolved: str = "") -> str:
    return f"{conversation_id},phone,warranty,,,,customer,,{text},{ts},{resolved}\n"


def good_rows(start: int, count: int) -> str:
    return "".join(csv_row(f"g{index}") for index in range(start, start + count))


CSV_CASES = {
    "a NUL byte in a value": (good_rows(0, 3) + csv_row("bad", "he\x00llo"), "row 5", "turns[0].text", "NUL character"),
    "a value over 128 KiB": (good_rows(0, 3) + csv_row("bad", "x" * 140_000), "row 5", "text",
                             "over 131072 characters"),
    "an unterminated quote running to the end": (
        good_rows(0, 3) + csv_row("bad", '"never closed') + good_rows(10, 9), "row 5", "text", "never closed"),
    "an unterminated quote closed by a later quote": (
        good_rows(0, 3) + csv_row("bad", '"never closed') + good_rows(10, 9) + csv_row("g99", '"quoted"'),
        "row 5", "text", "must be doubled"),
    "9 rows swallowed, closed by a stray quote before a comma": (
        good_rows(0, 3) + csv_row("bad", '"never closed') + good_rows(10, 9) + csv_row("g99", 'stray"'),
        "row 5", "text", "9 line(s) that look like whole rows"),
    "a duplicated text column": (None, "header (row 1)", "text", "column 'text' appears twice"),
}


@pytest.mark.parametrize("case", list(CSV_CASES))
def test_csv_bad_input_is_named_and_writes_nothing(tmp_path, session_factory, case):
    body, location, field, expected = CSV_CASES[case]
    path = tmp_path / "bad.csv"
    if body is None:
        path.write_text("conversation_id,channel,speaker,text,text\na,phone,customer,first,second\n", "utf-8")
    else:
        path.write_text(CSV_HEADER + body, "utf-8")
    with pytest.raises(ImportFileError) as error:
        import_file(path, session_factory)
    assert error.value.location == location
    assert error.value.field == field
    assert expected in str(error.value)
    assert all(count == 0 for count in row_counts(session_factory).values())


def test_csv_quoted_multiline_text_with_commas_is_still_one_value(tmp_path, session_factory):
    path = tmp_path / "ok.csv"
    path.write_text(CSV_HEADER + csv_row("a", '"line one\nline two, with, commas"') + good_rows(0, 2), "utf-8")
    assert import_file(path, session_factory).written.conversations == 3


def test_emoji_and_other_astral_characters_are_accepted(tmp_path, session_factory):
    path = write_lines(tmp_path / "ok.jsonl", json.dumps(with_turn(9, text="works \U0001f600 \u00e9")), 2)
    assert import_file(path, session_factory).written.conversations == 3
