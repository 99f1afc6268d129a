"""Import a transcript file: validate all of it, then write it. The one entry point the CLI and tests use."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from analytics.importer.readers import detect_format, open_records
from analytics.importer.validate import ValidationSummary, validate_file
from analytics.importer.writer import DEFAULT_SOURCE, ConversationWriter, ImportCounts
from analytics.nps.recording import link_unlinked_responses

ProgressCallback = Callable[[str, int], None]  # (phase "validate"|"write", bytes read so far)


@dataclass(frozen=True)
class ImportResult:
    file_format: str
    validated: ValidationSummary
    written: ImportCounts
    linked_nps: int = 0


def import_file(path: Path, session_factory: sessionmaker[Session], *, source: str = DEFAULT_SOURCE,
                file_format: str | None = None, on_progress: ProgressCallback | None = None) -> ImportResult:
    """Raise ``ImportFileError`` (nothing written) if any record is invalid; else write the new ones."""
    chosen_format = detect_format(path, file_format)

    def progress(phase: str) -> Callable[[int], None] | None:
        return None if on_progress is None else (lambda done: on_progress(phase, done))

    summary = validate_file(path, chosen_format, progress("validate"))
    writer = ConversationWriter(session_factory, source=source)
    records = (record for _location, record in open_records(path, chosen_format, progress("write")))
    counts = writer.write_all(records)
    # NPS answers imported from a CSV before their conversations can be joined now.
    with session_factory.begin() as session:
        linked = link_unlinked_responses(session)
    return ImportResult(file_format=chosen_format, validated=summary, written=counts, linked_nps=linked)
