"""Streaming readers for the two import formats. They yield ``(location, record)`` or raise ``ImportFileError``.

JSON Lines: one conversation per line (blank lines are skipped).
CSV: one turn per row; the rows of one conversation are contiguous; conversation-level columns are read
from the conversation's first row.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from analytics.importer.records import ConversationRecord, RecordError, parse_conversation

CSV_REQUIRED_COLUMNS = ("conversation_id", "channel", "speaker", "text")
CSV_FIELD_LIMIT = 131_072  # the csv module's default limit on one value (csv.field_size_limit())
CSV_COLUMNS = (
    "conversation_id", "channel", "touchpoint", "customer_id", "segment", "started_at",
    "speaker", "agent_id", "text", "ts", "resolved", "nps_score", "nps_comment",
)
_TRUE = {"true", "yes", "1", "y", "t"}
_FALSE = {"false", "no", "0", "n", "f"}


class ImportFileError(ValueError):
    """What is wrong with an import file, and where: ``location`` is e.g. "line 12" or "row 7"."""

    def __init__(self, path: str, location: str, message: str, field: str | None = None) -> None:
        self.path = path
        self.location = location
        self.field = field
        self.reason = message
        super().__init__(f"{path}, {location}: {message}")


def detect_format(path: Path, explicit: str | None = None) -> str:
    if explicit:
        return explicit
    suffixes = [s.lower() for s in path.suffixes]
    if ".csv" in suffixes:
        return "csv"
    if ".jsonl" in suffixes or ".ndjson" in suffixes or ".json" in suffixes:
        return "jsonl"
    raise ImportFileError(str(path), "file name", "cannot tell the format from the extension; "
                          "name it .jsonl or .csv, or pass --format jsonl|csv")


def read_jsonl(stream: Iterable[str], path: str) -> Iterator[tuple[str, ConversationRecord]]:
    for line_number, line in enumerate(stream, start=1):
        if not line.strip():
            continue
        location = f"line {line_number}"
        raw = _parse_json_line(line, path, location)
        try:
            yield location, parse_conversation(raw)
        except RecordError as exc:
            raise ImportFileError(path, location, str(exc), field=exc.field) from None


MAX_INT_DIGITS = 4300  # Python refuses to convert longer integers (sys.get_int_max_str_digits())


class LongNumber:
    """A JSON integer too long for Python to convert; validation reports it in the field that holds it
    (and a field the importer ignores may hold one)."""

    __slots__ = ("digits",)

    def __init__(self, digits: str) -> None:
        self.digits = len(digits.lstrip("-"))

    def __repr__(self) -> str:
        return f"a number of {self.digits} digits"


def _json_int(digits: str) -> int | LongNumber:
    return int(digits) if len(digits) <= MAX_INT_DIGITS else LongNumber(digits)


def _deeply_nested_field(line: str, depth_limit: int = 100) -> str | None:
    """The top-level key whose value nests deeper than ``depth_limit`` (only when json gave up)."""
    depth, in_string, escaped = 0, False, False
    last_string_start, key, current = 0, None, None
    for position, character in enumerate(line):
        if in_string:
            if escaped:
                escaped = False
            elif character == "\\":
                escaped = True
            elif character == '"':
                in_string = False
                key = line[last_string_start:position]
        elif character == '"':
            in_string, last_string_start = True, position + 1
        elif character == ":" and depth == 1:
            current = key
        elif character in "[{":
            depth += 1
            if depth > depth_limit:
                return current
        elif character in "]}":
            depth -= 1
    return None


def _parse_json_line(line: str, path: str, location: str) -> Any:
    try:
        return json.loads(line, parse_int=_json_int)
    except json.JSONDecodeError as exc:
        raise ImportFileError(path, location, f"not valid JSON ({exc.msg} at column {exc.colno})") from None
    except RecursionError:
        field = _deeply_nested_field(line)
        named = f"field '{field}': " if field else ""
        raise ImportFileError(path, location, f"{named}nested too deeply to read (a conversation needs a few "
                              "levels of {} and [], not thousands)", field=field) from None


def _csv_bool(value: str, field: str) -> bool | None:
    text = value.strip().lower()
    if not text:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise RecordError(field, "true or false", value)


def _csv_int(value: str, field: str) -> int | None:
    text = value.strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise RecordError(field, "a whole number from 0 to 10", value) from None


def _conversation_from_rows(rows: list[dict[str, str]]) -> dict[str, Any]:
    """Turn a conversation's CSV rows into the JSON Lines shape, so one validator serves both formats."""
    first = rows[0]
    raw: dict[str, Any] = {key: first.get(key) or None for key in
                           ("conversation_id", "channel", "touchpoint", "customer_id", "segment", "started_at")}
    raw["turns"] = [
        {"speaker": (row.get("speaker") or "").strip().lower(), "agent_id": row.get("agent_id") or None,
         "text": row.get("text") if row.get("text") is not None else None, "ts": row.get("ts") or None}
        for row in rows
    ]
    resolved = _csv_bool(first.get("resolved") or "", "resolved")
    if resolved is not None:
        raw["outcome"] = {"resolved": resolved}
    score = _csv_int(first.get("nps_score") or "", "nps_score")
    if score is not None:
        raw["nps"] = {"score": score, "comment": first.get("nps_comment") or None}
    return raw


# The csv module of Python 3.10 refuses NUL characters outright ("line contains NUL", no place named). They
# are swapped for a lone surrogate, which decoded UTF-8 text cannot contain, and swapped back in the values,
# so validation names the row and field like for any other character a database cannot store.
_NUL_STANDIN = "\udfff"
_KEPT_RECORD_CHARACTERS = 4 * CSV_FIELD_LIMIT  # enough of a failing record to name the column at fault


class _CsvLines:
    """The lines handed to ``csv.reader``: NULs swapped out, and the current record's first characters
    kept so that a csv error can be traced to its line and column."""

    def __init__(self, stream: Iterable[str]) -> None:
        self._lines = iter(stream)
        self.line_number = 0
        self.saw_nul = False
        self.record_first_line = 1
        self.record_text: list[str] = []
        self._kept = 0

    def start_record(self) -> None:
        self.record_first_line = self.line_number + 1
        self.record_text = []
        self._kept = 0

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.line_number += 1
        if self._kept < _KEPT_RECORD_CHARACTERS:
            self.record_text.append(line)
            self._kept += len(line)
        if "\x00" in line:
            self.saw_nul = True
            return line.replace("\x00", _NUL_STANDIN)
        return line


def _column_at_fault(record_text: str) -> tuple[int, str] | None:
    """Walk one record's text as the csv module does (strict): (column index, problem) or None."""
    column = length = 0
    state = "start"  # start | plain | quoted | after_quote
    position = 0
    while position < len(record_text):
        character = record_text[position]
        position += 1
        if state == "quoted":
            if character == '"':
                if record_text[position:position + 1] == '"':
                    position += 1
                    length += 1
                else:
                    state = "after_quote"
                continue
            length += 1
        elif state == "after_quote":
            if character == ",":
                column, length, state = column + 1, 0, "start"
                continue
            if character in "\r\n":
                return None
            return column, "stray quote"
        else:
            if character == '"' and state == "start":
                state = "quoted"
                continue
            if character == ",":
                column, length, state = column + 1, 0, "start"
                continue
            if character in "\r\n":
                return None
            state = "plain"
            length += 1
        if length > CSV_FIELD_LIMIT:
            return column, "too long"
    return (column, "never closed") if state == "quoted" else None


def _csv_error(path: str, lines: _CsvLines, header: list[str], row_number: int, error: csv.Error) -> ImportFileError:
    """A csv module error as an ImportFileError naming the row, its first line and the column."""
    where = f"row {row_number}"
    at_fault = _column_at_fault("".join(lines.record_text))
    field = header[at_fault[0]] if at_fault and at_fault[0] < len(header) else None
    column = f"field '{field}': " if field else ""
    line = f"line {lines.record_first_line}"
    message = str(error)
    if "field larger than field limit" in message:
        return ImportFileError(path, where, f"{column}a value over {CSV_FIELD_LIMIT} characters (128 KiB), "
                               f"starting at {line}; is a closing quote missing?", field=field)
    if "unexpected end of data" in message:
        return ImportFileError(path, where, f"{column}a quoted value opened at {line} is never closed (it "
                               "runs to the end of the file); add the closing quote", field=field)
    if "expected after" in message:
        return ImportFileError(path, where, f"{column}a quote inside a quoted value must be doubled (\"\"), "
                               f"near line {lines.line_number} ({message})", field=field)
    return ImportFileError(path, where, f"{column}not valid CSV near line {lines.line_number} ({message})",
                           field=field)


def _row_like_lines(value: str, columns: int) -> int:
    """How many of the lines after the first in a multi-line value would make a whole row of the file."""
    count = 0
    for inner in value.split("\n")[1:]:
        try:
            fields = next(csv.reader([inner]), [])
        except csv.Error:
            continue
        count += len(fields) == columns
    return count


def _checked_header(path: str, header: list[str]) -> None:
    missing = [column for column in CSV_REQUIRED_COLUMNS if column not in header]
    if missing:
        raise ImportFileError(path, "header (row 1)", "missing column(s) " + ", ".join(missing)
                              + "; expected columns: " + ", ".join(CSV_COLUMNS))
    seen: set[str] = set()
    for column in header:
        if column in seen:
            raise ImportFileError(path, "header (row 1)", f"column '{column}' appears twice; which one holds "
                                  "the data is ambiguous, keep one", field=column)
        seen.add(column)


def read_csv(stream: Iterable[str], path: str) -> Iterator[tuple[str, ConversationRecord]]:
    lines = _CsvLines(stream)
    reader = csv.reader(lines, strict=True)
    try:
        header = [column.replace(_NUL_STANDIN, "\x00") for column in next(reader, [])]
    except csv.Error as exc:
        raise _csv_error(path, lines, [], 1, exc) from None
    _checked_header(path, header)
    columns = len(header)
    current_id: str | None = None
    current_rows: list[dict[str, str]] = []
    current_start = 0

    def flush() -> tuple[str, ConversationRecord]:
        location = f"row {current_start}" if len(current_rows) == 1 else \
            f"rows {current_start}-{current_start + len(current_rows) - 1}"
        try:
            return location, parse_conversation(_conversation_from_rows(current_rows))
        except RecordError as exc:
            raise ImportFileError(path, location, str(exc), field=exc.field) from None

    row_number = 1
    while True:
        row_number += 1
        lines.start_record()
        try:
            values = next(reader, None)
        except csv.Error as exc:
            raise _csv_error(path, lines, header, row_number, exc) from None
        if values is None:
            break
        if not values:
            row_number -= 1  # csv.DictReader skipped blank lines too
            continue
        if lines.saw_nul:
            values = [value.replace(_NUL_STANDIN, "\x00") for value in values]
        if len(values) > columns:
            raise ImportFileError(path, f"row {row_number}", f"{len(values)} values for {columns} columns "
                                  "(a quote missing?)")
        row = dict(zip(header, values, strict=False))
        for column, value in row.items():
            if "\n" in value and (swallowed := _row_like_lines(value, columns)):
                raise ImportFileError(path, f"row {row_number}", f"field '{column}': the value holds {swallowed} "
                                      f"line(s) that look like whole rows; is a closing quote missing after line "
                                      f"{lines.record_first_line}?", field=column)
        conversation_id = (row.get("conversation_id") or "").strip()
        if not conversation_id:
            raise ImportFileError(path, f"row {row_number}", "field 'conversation_id': expected a non-empty "
                                  "string, got ''", field="conversation_id")
        if conversation_id != current_id:
            if current_rows:
                yield flush()
            current_id, current_rows, current_start = conversation_id, [], row_number
        current_rows.append(row)
    if current_rows:
        yield flush()


class CountingLines:
    """Iterate a binary file's lines as text, counting bytes read so a progress bar can follow big files."""

    def __init__(self, binary: IO[bytes], path: str) -> None:
        self._binary = binary
        self._path = path
        self.bytes_read = 0
        self._line_number = 0

    def __iter__(self) -> Iterator[str]:
        for raw_line in self._binary:
            self._line_number += 1
            self.bytes_read += len(raw_line)
            try:
                text = raw_line.decode("utf-8")
            except UnicodeDecodeError:
                raise ImportFileError(self._path, f"line {self._line_number}",
                                      "not UTF-8 text (save the file as UTF-8)") from None
            yield text[1:] if self._line_number == 1 and text.startswith("\ufeff") else text


def open_records(path: Path, file_format: str,
                 on_progress: Callable[[int], None] | None = None) -> Iterator[tuple[str, ConversationRecord]]:
    """Stream the validated records of a file, one conversation at a time (never the whole file).

    ``on_progress`` is called with the number of bytes read so far after each record.
    """
    shown = str(path)
    try:
        binary = path.open("rb")
    except OSError as exc:
        raise ImportFileError(shown, "file", f"cannot open it ({exc.strerror})") from None
    with binary:
        lines = CountingLines(binary, shown)
        reader = read_csv(iter(lines), shown) if file_format == "csv" else read_jsonl(iter(lines), shown)
        for item in reader:
            yield item
            if on_progress is not None:
                on_progress(lines.bytes_read)
