"""``cxqa sync``: copy the bot's conversations from Rasa's tracker store into our database."""

from __future__ import annotations

import typer


def sync_command(
    tracker_url: str | None = typer.Option(
        None, "--tracker-url", help="Rasa's tracker database (default: CXQA_TRACKER_URL or var/rasa_tracker.db)."
    ),
    database_url: str | None = typer.Option(None, "--database-url", help="Default: CXQA_DATABASE_URL or var/cxqa.db."),
) -> None:
    """Copy new bot conversations (one per Rasa session) into conversations/turns; safe to re-run."""
    from rich.console import Console
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
    from sqlalchemy.exc import SQLAlchemyError

    from analytics.cli_support import fail
    from analytics.storage.db import make_engine, make_session_factory
    from analytics.sync.runner import sync_tracker
    from analytics.sync.tracker_db import make_tracker_engine

    console = Console()
    tracker_engine = make_tracker_engine(tracker_url)
    engine = make_engine(database_url)
    failure: str | None = None
    report = None
    try:
        with Progress(
            TextColumn("tracker events"), BarColumn(), MofNCompleteColumn(), console=console, transient=True
        ) as progress:
            task = progress.add_task("sync", total=None)
            report = sync_tracker(
                tracker_engine,
                make_session_factory(engine),
                on_progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
    except SQLAlchemyError as exc:
        failure = f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    finally:
        tracker_engine.dispose()
    # The NPS upkeep (replaying spooled answers above all) does not depend on the sync having worked.
    try:
        linked = run_nps_upkeep(make_session_factory(engine))
    except (SQLAlchemyError, OSError, ValueError) as exc:  # database, or the spool file
        linked = ""
        failure = failure or f"NPS upkeep: {type(exc).__name__}: {str(exc).splitlines()[0]}"
    finally:
        engine.dispose()
    if failure is not None or report is None:
        if linked:
            console.print(linked.strip())
        raise fail(f"sync failed: {failure}. Check CXQA_TRACKER_URL / CXQA_DATABASE_URL, and that "
                   "`cxqa db upgrade` has been run.")
    console.print(f"Synced {escape(report.summary())}.{linked}")


def run_nps_upkeep(session_factory) -> str:
    """Link surveys to the conversations that just arrived (the NPS area's job), when that area exists."""
    try:
        from analytics.nps.jobs import nps_maintenance
    except ImportError:
        return ""
    result = nps_maintenance(session_factory)
    return (
        f" NPS: {result.get('linked', 0)} surveys linked, {result.get('replayed', 0)} replayed."
        if any(result.values())
        else ""
    )


def register(app: typer.Typer) -> None:
    app.command("sync")(sync_command)
