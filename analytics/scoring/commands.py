"""``cxqa score``, ``cxqa score-file`` and ``cxqa score-text``. spaCy is imported inside the commands only."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

WORKERS_HELP = "Worker processes (each loads the pipeline once)."


def _json_line(row: dict) -> str:
    # ensure_ascii keeps the output valid whatever the input text held (lone surrogates, control characters).
    return json.dumps(row, ensure_ascii=True, default=str)


def score_command(
    workers: int = typer.Option(1, "--workers", min=1, max=64, help=WORKERS_HELP),
    limit: int = typer.Option(0, "--limit", min=0, help="Score at most this many conversations (0: all)."),
    batch: int = typer.Option(1000, "--batch", min=1, help="Conversations per transaction."),
) -> None:
    """Score every conversation in the database that is unscored or was scored by an older scorer version."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
    from sqlalchemy.exc import SQLAlchemyError

    from analytics.cli_output import err as console
    from analytics.cli_output import out
    from analytics.cli_support import fail
    from analytics.scoring import store
    from analytics.scoring.conversation import default_scorer, prepare_process_for_scoring
    from analytics.scoring.parallel import score_in_processes
    from analytics.scoring.resources import scorer_version
    from analytics.storage import make_engine, make_session_factory
    from analytics.storage.migrate import upgrade

    version = scorer_version()
    engine = make_engine()
    written = 0
    try:
        upgrade(engine)
        sessions = make_session_factory(engine)
        with sessions() as session:
            ids = store.ids_to_score(session, version)
        if limit:
            ids = ids[:limit]
        if not ids:
            console.print(f"nothing to score (all conversations are scored by {version})")
            return
        default_scorer()
        prepare_process_for_scoring()
        columns = (TextColumn("scoring"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=console, transient=True) as progress:
            task = progress.add_task("scoring", total=len(ids))
            # One transaction per batch: progress is kept if the run stops, and writers are not blocked long.
            for start in range(0, len(ids), batch):
                with sessions.begin() as session:
                    inputs = store.load_inputs(session, ids[start:start + batch])
                    results = list(score_in_processes(inputs, workers))
                    written += store.save_scores(session, results)
                progress.advance(task, len(results))
    except SQLAlchemyError as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise fail(f"database: {first_line} (is the database up? try: cxqa db upgrade)") from None
    finally:
        engine.dispose()
    out.print(f"[green]scored[/green] {written} conversation(s) with scorer {version}")


def score_file_command(
    file: Path = typer.Argument(..., help="A JSON Lines file in the import format (one conversation a line)."),
    workers: int = typer.Option(1, "--workers", min=1, max=64, help=WORKERS_HELP),
) -> None:
    """Score a JSON Lines file without a database: one JSON line per conversation on standard output."""
    from analytics.cli_support import fail
    from analytics.scoring.jsonl_io import InputLineError, conversation_row, file_inputs, read_records

    if not file.is_file():
        raise fail(f"{file}: no such file", code=2)
    try:
        for _ in read_records(file):  # validate every line before any output
            pass
    except InputLineError as exc:
        raise fail(str(exc), code=2) from None
    from analytics.scoring.conversation import default_scorer, prepare_process_for_scoring
    from analytics.scoring.parallel import score_in_processes

    default_scorer()
    prepare_process_for_scoring()
    out = sys.stdout
    for result in score_in_processes(file_inputs(file), workers):
        out.write(_json_line(conversation_row(result)) + "\n")
    out.flush()


def score_text_command() -> None:
    """Score each line of standard input as one text: one JSON line out per line in (empty lines too)."""
    from analytics.scoring.conversation import clean_text, prepare_process_for_scoring
    from analytics.scoring.jsonl_io import decoded_lines, text_row
    from analytics.scoring.pipeline import build_pipeline

    nlp = build_pipeline()
    prepare_process_for_scoring()
    texts = (clean_text(text) for _, text in decoded_lines(sys.stdin.buffer))
    out = sys.stdout
    for doc in nlp.pipe(texts, batch_size=256):
        out.write(_json_line(text_row(doc)) + "\n")
    out.flush()


def register(app: typer.Typer) -> None:
    app.command("score")(score_command)
    app.command("score-file")(score_file_command)
    app.command("score-text")(score_text_command)
