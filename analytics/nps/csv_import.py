"""Import NPS answers collected at human touchpoints (phone, email, store) from CSV.

Two passes over the file: the first validates every row without touching the database (an invalid file
writes nothing, and the error names the row, the column and what was expected); the second writes in
batches inside the caller's transaction. Re-importing a file updates the surveys instead of duplicating them
(idempotent on source + survey_id).

Columns (header row required, any order; only ``survey_id``, ``score`` and ``responded_at`` are required):
survey_id, conversation_id, source, customer_id, score, comment, responded_at, asked_at, channel, touchpoint,
agent_id (several separated by ";" or "|"), segment, status (answered|declined|abandoned, default answered).

A survey joins the conversation with the same source and ``external_id == conversation_id`` and takes its
touchpoint, channel, customer and agents from it where the CSV leaves them blank (segment: from the
customer). Rows whose conversation is not imported yet keep the id and are linked later.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from analytics.nps.context import conversation_contexts, customer_segments
from analytics.nps.fields import SurveyFieldError, SurveyFields, validate_survey_fields
from analytics.nps.recording import store_survey
from analytics.storage.models import NpsResponse

DEFAULT_SOURCE = "import"  # the conversation importer's default source
COLUMNS = ("survey_id", "conversation_id", "source", "customer_id", "score", "comment", "responded_at", "asked_at",
           "channel", "touchpoint", "agent_id", "segment", "status")
REQUIRED_COLUMNS = ("survey_id", "score", "responded_at")
CSV_STATUSES = ("answered", "declined", "abandoned")
AGENT_SEPARATOR = re.compile(r"[;|]")
MAX_COMMENT_LENGTH = 10_000
MAX_PROBLEMS_SHOWN = 20
BATCH_SIZE = 500

# Survey field -> the CSV column that carries it (for error messages).
_FIELD_COLUMNS = {"survey_key": "survey_id", "conversation_external_id": "conversation_id", "agent_ids": "agent_id"}


@dataclass(frozen=True, slots=True)
class CsvProblem:
    row: int  # spreadsheet numbering: the header is row 1
    column: str | None
    expected: str
    got: str | None = None

    def __str__(self) -> str:
        where = (f"row {self.row}" if self.row else "the file") + (f", column '{self.column}'" if self.column else "")
        got = "" if self.got is None else f", got {self.got}"
        return f"{where}: expected {self.expected}{got}"


class NpsCsvError(Exception):
    """The file cannot be imported; ``problems`` lists every problem found (the first ones are shown)."""

    def __init__(self, path: Path, problems: list[CsvProblem]) -> None:
        self.path = path
        self.problems = problems
        shown = "\n".join(f"  {problem}" for problem in problems[:MAX_PROBLEMS_SHOWN])
        more = len(problems) - MAX_PROBLEMS_SHOWN
        tail = f"\n  ... and {more} more problem(s)" if more > 0 else ""
        super().__init__(f"{path}: {len(problems)} problem(s):\n{shown}{tail}")


@dataclass
class CsvImportResult:
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    linked: int = 0  # joined to an existing conversation
    unlinked: int = 0  # name a conversation not imported yet (linked later by ``cxqa nps link``)
    followups_opened: int = 0
    problems: list[CsvProblem] = field(default_factory=list)


def _preview(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _records(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    """(row number, {column: cell}) for each non-blank data row; header problems raise ``NpsCsvError``."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            first_line = handle.readline()
            delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
            handle.seek(0)
            reader = csv.reader(handle, delimiter=delimiter)
            header = next(reader, None)
            if header is None or not any(cell.strip() for cell in header):
                raise NpsCsvError(path, [CsvProblem(1, None, "a header row naming the columns, e.g. "
                                                    + ",".join(REQUIRED_COLUMNS), "an empty file")])
            columns = [cell.strip().lower() for cell in header]
            _check_header(path, columns)
            row_number = 1
            for cells in reader:
                row_number += 1
                if not any(cell.strip() for cell in cells):
                    continue
                if len(cells) > len(columns):
                    raise _RowShapeError(row_number, len(columns), len(cells))
                cells = cells + [""] * (len(columns) - len(cells))
                yield row_number, dict(zip(columns, cells, strict=True))
    except UnicodeDecodeError as exc:
        raise NpsCsvError(path, [CsvProblem(0, None, "UTF-8 text", f"an undecodable byte at offset {exc.start}")]
                          ) from None
    except csv.Error as exc:
        raise NpsCsvError(path, [CsvProblem(0, None, "well-formed CSV", str(exc))]) from None


class _RowShapeError(Exception):
    def __init__(self, row: int, expected: int, got: int) -> None:
        self.problem = CsvProblem(row, None, f"at most {expected} cells (one per header column)", f"{got} cells")


def _check_header(path: Path, columns: list[str]) -> None:
    problems = []
    seen: set[str] = set()
    for column in columns:
        if column not in COLUMNS:
            problems.append(CsvProblem(1, column or "(blank)", "a known column: " + ", ".join(COLUMNS)))
        elif column in seen:
            problems.append(CsvProblem(1, column, "each column once"))
        seen.add(column)
    for column in REQUIRED_COLUMNS:
        if column not in seen:
            problems.append(CsvProblem(1, column, "this required column in the header"))
    if problems:
        raise NpsCsvError(path, problems)


def parse_row(row_number: int, raw: dict[str, str], default_source: str) -> SurveyFields:
    """One CSV row as validated survey fields; ``CsvProblem`` wrapped in ``_RowError`` when invalid."""

    def cell(name: str) -> str | None:
        value = (raw.get(name) or "").strip()
        return value or None

    status = (cell("status") or "").lower() or None
    score_text = cell("score")
    score: int | None = None
    if score_text is not None:
        if not re.fullmatch(r"\d{1,2}", score_text) or int(score_text) > 10:
            raise _RowError(CsvProblem(row_number, "score", "a whole number from 0 to 10", _preview(score_text)))
        score = int(score_text)
    if status is None:
        if score is None:
            raise _RowError(CsvProblem(row_number, "score", "a whole number from 0 to 10 (or a status column "
                                       "saying declined or abandoned)", "an empty cell"))
        status = "answered"
    elif status not in CSV_STATUSES:
        raise _RowError(CsvProblem(row_number, "status", "one of " + "|".join(CSV_STATUSES), _preview(status)))
    comment = raw.get("comment") or None
    if comment is not None and len(comment) > MAX_COMMENT_LENGTH:
        raise _RowError(CsvProblem(row_number, "comment", f"at most {MAX_COMMENT_LENGTH} characters",
                                   f"{len(comment)} characters"))
    agents = [agent.strip() for agent in AGENT_SEPARATOR.split(cell("agent_id") or "") if agent.strip()]
    try:
        return validate_survey_fields(
            source=cell("source") or default_source, survey_key=cell("survey_id"), status=status,
            responded_at=cell("responded_at"), score=score, comment=comment, customer_id=cell("customer_id"),
            conversation_external_id=cell("conversation_id"), touchpoint=cell("touchpoint"),
            channel=(cell("channel") or "").lower() or None, agent_ids=agents, asked_at=cell("asked_at"),
            segment=cell("segment"),
        )
    except SurveyFieldError as exc:
        column = _FIELD_COLUMNS.get(exc.field.split("[")[0], exc.field.split("[")[0])
        got = None if exc.got is None else _preview(exc.got)
        if exc.got is None or exc.got == "":
            got = "an empty cell"
        raise _RowError(CsvProblem(row_number, column, exc.expected, got)) from None


class _RowError(Exception):
    def __init__(self, problem: CsvProblem) -> None:
        super().__init__(str(problem))
        self.problem = problem


def _parsed_rows(path: Path, default_source: str) -> Iterator[tuple[int, SurveyFields | CsvProblem]]:
    records = _records(path)
    while True:
        try:
            row_number, raw = next(records)
        except StopIteration:
            return
        except _RowShapeError as exc:
            yield exc.problem.row, exc.problem
            return  # the reader cannot continue past a malformed row reliably
        try:
            yield row_number, parse_row(row_number, raw, default_source)
        except _RowError as exc:
            yield row_number, exc.problem


def validate_nps_csv(path: Path, default_source: str = DEFAULT_SOURCE) -> int:
    """Check the whole file (no database); return the number of data rows or raise ``NpsCsvError``."""
    problems: list[CsvProblem] = []
    first_row_of: dict[tuple[str, str], int] = {}
    rows = 0
    for row_number, parsed in _parsed_rows(path, default_source):
        rows += 1
        if isinstance(parsed, CsvProblem):
            problems.append(parsed)
            continue
        key = (parsed.source, parsed.survey_key)
        if key in first_row_of:
            problems.append(CsvProblem(row_number, "survey_id", f"a survey id not already used in this file "
                                       f"(row {first_row_of[key]} has it)", _preview(parsed.survey_key)))
        else:
            first_row_of[key] = row_number
    if problems:
        raise NpsCsvError(path, problems)
    return rows


def import_nps_csv(
    session: Session,
    path: Path,
    *,
    default_source: str = DEFAULT_SOURCE,
    create_followups: bool = True,
    on_progress: Callable[[int, int], None] | None = None,
) -> CsvImportResult:
    """Validate the whole file, then write it in the caller's transaction. Raises ``NpsCsvError`` if invalid."""
    total = validate_nps_csv(path, default_source)
    result = CsvImportResult(rows=total)
    batch: list[SurveyFields] = []
    for _, parsed in _parsed_rows(path, default_source):
        assert isinstance(parsed, SurveyFields)  # validated above
        batch.append(parsed)
        if len(batch) >= BATCH_SIZE:
            _write_batch(session, batch, create_followups, result)
            batch = []
            if on_progress:
                on_progress(result.inserted + result.updated, total)
    if batch:
        _write_batch(session, batch, create_followups, result)
    if on_progress:
        on_progress(result.inserted + result.updated, total)
    return result


def _write_batch(session: Session, batch: list[SurveyFields], create_followups: bool,
                 result: CsvImportResult) -> None:
    by_source: dict[str, list[SurveyFields]] = {}
    for survey in batch:
        by_source.setdefault(survey.source, []).append(survey)
    for source, surveys in by_source.items():
        existing = {
            row.survey_key: row for row in session.scalars(select(NpsResponse).where(
                NpsResponse.source == source, NpsResponse.survey_key.in_([s.survey_key for s in surveys])))
        }
        contexts = conversation_contexts(session, source, [s.conversation_external_id for s in surveys
                                                           if s.conversation_external_id])
        customers = [s.customer_id or (contexts[s.conversation_external_id].customer_id
                                       if s.conversation_external_id in contexts else None)
                     for s in surveys if s.segment is None]
        segments = customer_segments(session, customers)
        for survey in surveys:
            before = existing.get(survey.survey_key)
            had_followup = before is not None and before.followup_status is not None
            conversation = contexts.get(survey.conversation_external_id or "")
            response = store_survey(session, survey, existing=before, conversation=conversation, segments=segments,
                                    create_followup=create_followups, looked_up=True, flush=False)
            result.inserted += before is None
            result.updated += before is not None
            if conversation is not None:
                result.linked += 1
            elif survey.conversation_external_id:
                result.unlinked += 1
            if response.followup_status == "open" and not had_followup:
                result.followups_opened += 1
    session.flush()
