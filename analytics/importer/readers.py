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
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ImportFileError(path, location, f"not valid JSON ({exc.msg} at column {exc.colno})") from None
        try:
            yield location, parse_conversation(raw)
        except RecordError as exc:
            raise ImportFileError(path, location, str(exc), field=exc.field) from None


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


def read_csv(stream: Iterable[str], path: str) -> Iterator[tuple[str, ConversationRecord]]:
    reader = csv.DictReader(stream)
    header = reader.fieldnames or []
    missing = [column for column in CSV_REQUIRED_COLUMNS if column not in header]
    if missing:
        raise ImportFileError(path, "header (row 1)", "missing column(s) " + ", ".join(missing)
                              + "; expected columns: " + ", ".join(CSV_COLUMNS))
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

    for row_number, row in enumerate(reader, start=2):
        if None in row:
            raise ImportFileError(path, f"row {row_number}", f"{len(header) + len(row[None])} values for "
                                  f"{len(header)} columns (a quote missing?)")
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
