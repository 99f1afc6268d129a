"""``cxqa import FILE``: helpdesk transcripts (JSON Lines or CSV) into the database."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from sqlalchemy.exc import SQLAlchemyError

from analytics.cli_output import err as console
from analytics.cli_output import out, show_id
from analytics.cli_support import fail
from analytics.importer.readers import ImportFileError
from analytics.importer.service import import_file
from analytics.importer.writer import DEFAULT_SOURCE
from analytics.storage import make_engine, make_session_factory
from analytics.storage.migrate import upgrade
from analytics.text_safety import clean_text


def import_command(
    file: Path = typer.Argument(..., help="A .jsonl (one conversation a line) or .csv (one turn a row) file."),
    source: str = typer.Option(DEFAULT_SOURCE, help="Name of the system the file came from; conversation ids "
                               "are unique per source."),
    file_format: str = typer.Option(None, "--format", help="jsonl or csv (default: from the file extension)."),
) -> None:
    """Import transcripts. The whole file is validated first: an invalid file writes nothing."""
    if file_format not in (None, "jsonl", "csv"):
        raise fail(f"--format must be jsonl or csv, not {file_format!r}", 2)
    if not file.is_file():
        raise fail(f"{file}: no such file", 2)
    engine = make_engine()
    try:
        upgrade(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        raise fail(f"database: {str(exc).splitlines()[0]} (is CXQA_DATABASE_URL right?)") from None
    total = file.stat().st_size
    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TimeRemainingColumn(),
                  console=console, transient=True) as progress:
        tasks = {"validate": progress.add_task("validating", total=total),
                 "write": progress.add_task("importing", total=total, visible=False)}

        def on_progress(phase: str, done: int) -> None:
            progress.update(tasks[phase], completed=done, visible=True)

        try:
            result = import_file(file, make_session_factory(engine), source=source, file_format=file_format,
                                 on_progress=on_progress)
        except ImportFileError as exc:
            progress.stop()
            # The message quotes the file's values: fail() escapes rich markup ("[/red]") in them.
            raise fail(f"{clean_text(str(exc))} Nothing was imported.") from None
        except SQLAlchemyError as exc:
            progress.stop()
            first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise fail(f"database: {first_line}; run the same import again to finish it") from None
        finally:
            engine.dispose()
    written = result.written
    out.print(
        f"[green]imported[/green] {written.conversations} conversation(s), {written.turns} turn(s), "
        f"{written.nps_responses} NPS answer(s) from {escape(show_id(file))} ({result.file_format}); "
        f"{written.skipped_existing} already imported, skipped."
        + (f" Linked {result.linked_nps} earlier NPS answer(s) to their conversations." if result.linked_nps else "")
    )
