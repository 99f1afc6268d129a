"""``cxqa scheduler`` (the background jobs, in the foreground) and ``cxqa handoff`` (agents close tickets)."""

from __future__ import annotations

import typer

handoff_app = typer.Typer(
    help="Handoff tickets: list them, close one (the customer then gets the NPS survey).", no_args_is_help=True
)


def scheduler_command(
    tracker_url: str | None = typer.Option(
        None, "--tracker-url", help="Default: CXQA_TRACKER_URL or var/rasa_tracker.db."
    ),
    database_url: str | None = typer.Option(None, "--database-url", help="Default: CXQA_DATABASE_URL or var/cxqa.db."),
) -> None:
    """Run the jobs until Ctrl-C: tracker sync (CXQA_SYNC_INTERVAL_SECONDS) and NPS survey triggers
    (idle after CXQA_NPS_IDLE_MINUTES; handoff closed). Rasa at CXQA_RASA_URL."""
    import logging
    import signal

    from rich.console import Console

    from analytics.scheduler.jobs import JobContext
    from analytics.scheduler.service import make_blocking_scheduler
    from analytics.scheduler.settings import SchedulerSettings, SettingsError, SurveyNames
    from analytics.storage.db import make_engine, make_session_factory
    from analytics.sync.tracker_db import make_tracker_engine

    console = Console()
    try:
        settings = SchedulerSettings.from_environment()
        names = SurveyNames.load()
    except SettingsError as exc:
        console.print(f"[red]Scheduler settings:[/red] {exc}")
        raise typer.Exit(2) from None
    logging.basicConfig(level="INFO", format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler.executors.default").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    engine = make_engine(database_url)
    tracker_engine = make_tracker_engine(tracker_url)
    context = JobContext(settings, names, tracker_engine, make_session_factory(engine))
    scheduler = make_blocking_scheduler(context)

    def stop(_signum, _frame) -> None:
        scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    console.print(
        f"scheduler: sync every {settings.sync_interval_seconds:g} s; NPS survey after "
        f"{settings.nps_idle_minutes:g} min idle (Rasa {settings.rasa_url}); Ctrl-C stops"
    )
    try:
        scheduler.start()
    except KeyboardInterrupt:
        pass
    finally:
        context.close()
        tracker_engine.dispose()
        engine.dispose()


@handoff_app.command("list")
def list_command(
    all_tickets: bool = typer.Option(False, "--all", help="Include closed tickets."),
    database_url: str | None = typer.Option(None, "--database-url"),
) -> None:
    """Open handoff tickets, oldest first. Summaries are shown redacted (no e-mails, card or phone numbers)."""
    from rich.table import Table

    from analytics.cli_output import id_cell, out, text_cell
    from analytics.scheduler.handoff import list_tickets
    from analytics.storage.db import make_engine, make_session_factory

    engine = make_engine(database_url)
    with make_session_factory(engine)() as session:
        tickets = list_tickets(session, include_closed=all_tickets)
    engine.dispose()
    table = Table("ticket", "status", "opened (UTC)", "reason", "summary (redacted)")
    for ticket in tickets:
        table.add_row(
            id_cell(ticket.ticket_number),
            id_cell(ticket.status),
            f"{ticket.created_at:%Y-%m-%d %H:%M}",
            text_cell(ticket.reason),
            text_cell(ticket.summary, max_length=120),
        )
    out.print(table if tickets else "No open handoff tickets.")


@handoff_app.command("close")
def close_command(
    ticket_number: str = typer.Argument(..., help="e.g. HO-7KQ2M9"),
    agent: str = typer.Option(..., "--agent", help="Id of the agent who handled it (goes with the survey)."),
    database_url: str | None = typer.Option(None, "--database-url"),
) -> None:
    """Close a ticket; the scheduler then sends the customer the NPS survey about this agent's help."""
    from rich.markup import escape

    from analytics.cli_output import out, show_id
    from analytics.cli_support import fail
    from analytics.scheduler.handoff import HandoffError, close_ticket
    from analytics.storage.db import make_engine, make_session_factory

    engine = make_engine(database_url)
    try:
        with make_session_factory(engine).begin() as session:
            ticket = close_ticket(session, ticket_number, agent)
            number = ticket.ticket_number
    except HandoffError as exc:
        raise fail(str(exc)) from None
    finally:
        engine.dispose()
    out.print(
        f"Closed {escape(show_id(number))} (agent {escape(show_id(agent))}); the customer gets the survey at the "
        "scheduler's next run."
    )


def register(app: typer.Typer) -> None:
    app.command("scheduler")(scheduler_command)
    app.add_typer(handoff_app, name="handoff")
