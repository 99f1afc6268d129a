"""``cxqa import FILE``: helpdesk transcripts (JSON Lines or CSV) into the database."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from analytics.importer.readers import ImportFileError
from analytics.importer.service import import_file
from analytics.importer.writer import DEFAULT_SOURCE
from analytics.storage import make_engine, make_session_factory
from analytics.storage.migrate import upgrade

console = Console(stderr=True)


def import_command(
    file: Path = typer.Argument(..., help="A .jsonl (one conversation a line) or .csv (one turn a row) file."),
    source: str = typer.Option(DEFAULT_SOURCE, help="Name of the system the file came from; conversation ids "
                               "are unique per source."),
    file_format: str = typer.Option(None, "--format", help="jsonl or csv (default: from the file extension)."),
) -> None:
    """Import transcripts. The whole file is validated first: an invalid file writes nothing."""
    if file_format not in (None, "jsonl", "csv"):
        console.print(f"[red]error:[/red] --format must be jsonl or csv, not {file_format!r}")
        raise typer.Exit(2)
    if not file.is_file():
        console.print(f"[red]error:[/red] {file}: no such file")
        raise typer.Exit(2)
    engine = make_engine()
    upgrade(engine)
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
            console.print(f"[red]error:[/red] {exc}\nNothing was imported.")
            raise typer.Exit(1) from None
        finally:
            engine.dispose()
    written = result.written
    Console().print(
        f"[green]imported[/green] {written.conversations} conversation(s), {written.turns} turn(s), "
        f"{written.nps_responses} NPS answer(s) from {file} ({result.file_format}); "
        f"{written.skipped_existing} already imported, skipped."
        + (f" Linked {result.linked_nps} earlier NPS answer(s) to their conversations." if result.linked_nps else "")
    )
