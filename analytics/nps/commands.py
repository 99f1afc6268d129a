"""``cxqa nps ...``: summaries, trends, detractor follow-up, CSV import of human touchpoints, upkeep."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import typer
from rich import box
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from analytics.cli_output import echo_json, err, id_cell, out, show_id, show_text, text_cell
from analytics.cli_support import db_session, fail
from analytics.nps.csv_import import DEFAULT_SOURCE
from analytics.nps.queries import GROUPINGS, SurveyFilter

nps_app = typer.Typer(help="NPS: summaries with 95% intervals, trends, detractor follow-up, CSV import.",
                      no_args_is_help=True)

CI_METHOD = "adjusted-wald"
GROUP_LABELS = {"agent": "(no agent)"}


def register(app: typer.Typer) -> None:
    app.add_typer(nps_app, name="nps")


def _parse_when(value: str | None, option: str) -> datetime | None:
    from analytics.timeutil import parse_timestamp

    if value is None:
        return None
    try:
        return parse_timestamp(value)
    except ValueError:
        raise fail(f"{option} must be a date or timestamp like 2026-11-02 or 2026-11-02T09:00:00Z, "
                    f"not {value!r}", 2) from None


def _filter(since: str | None, until: str | None, source: str | None) -> SurveyFilter:
    return SurveyFilter(since=_parse_when(since, "--since"), until=_parse_when(until, "--until"), source=source)


def _fmt(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "–"
    return f"{value:+.1f}" if signed else f"{value:.1f}"


def _ci(ci: tuple[float, float] | None) -> str:
    return "–" if ci is None else f"[{ci[0]:.1f}, {ci[1]:.1f}]"


SINCE = typer.Option(None, "--since", help="Only answers at or after this date/time (UTC).")
UNTIL = typer.Option(None, "--until", help="Only answers before this date/time (UTC), exclusive.")
SOURCE = typer.Option(None, "--source", help="Only surveys from this source (rasa, import, ...).")


@nps_app.command("summary")
def summary_command(
    by: str = typer.Option(None, "--by", help="Group by " + "|".join(GROUPINGS) + "."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    since: str = SINCE,
    until: str = UNTIL,
    source: str = SOURCE,
) -> None:
    """NPS = %promoters (9-10) − %detractors (0-6), with counts, a 95% interval and the response rate."""
    from analytics.nps.queries import nps_summary

    if by is not None and by not in GROUPINGS:
        raise fail(f"--by must be one of {'|'.join(GROUPINGS)}, not {by!r}", 2)
    survey_filter = _filter(since, until, source)
    with db_session() as session:
        (overall,) = nps_summary(session, None, survey_filter)
        groups = nps_summary(session, by, survey_filter) if by else [overall]
    overall_json = {**overall.to_json(), "group": "all"}
    group_json = [overall_json] if by is None else [group.to_json() for group in groups]
    if as_json:
        echo_json({"by": by, "ci_method": CI_METHOD, "overall": overall_json, "groups": group_json})
        return
    table = Table(title=f"NPS by {by}" if by else "NPS", box=box.SIMPLE_HEAD, caption=(
        "NPS = %promoters − %detractors; 95% CI: adjusted Wald. P/Pa/D = promoters (9-10) / passives (7-8) / "
        "detractors (0-6); declined/abandoned surveys; resp = answered / (answered + declined + abandoned)"))
    table.add_column(by or "", overflow="fold", min_width=10)
    for column in ("answers", "NPS", "95% CI", "P/Pa/D", "decl/aband", "resp"):
        table.add_column(column, justify="right", no_wrap=True)
    rows = [*group_json, overall_json] if by else group_json
    for position, data in enumerate(rows):
        if by and position == len(rows) - 1:
            table.add_section()
        label = data["group"] if data["group"] is not None else GROUP_LABELS.get(by or "", "(none)")
        table.add_row(id_cell(label), str(data["responses"]), _fmt(data["nps"], signed=True),
                      _ci(tuple(data["ci95"]) if data["ci95"] else None),
                      f"{data['promoters']}/{data['passives']}/{data['detractors']}",
                      f"{data['declined']}/{data['abandoned']}",
                      "–" if data["response_rate"] is None else f"{data['response_rate']:.0f}%")
    out.print(table)


@nps_app.command("trend")
def trend_command(
    weeks: int = typer.Option(12, "--weeks", min=1, help="How many recent weeks to show."),
    plot: Path = typer.Option(None, "--plot", help="Also draw the trend to this PNG file."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    since: str = SINCE,
    until: str = UNTIL,
    source: str = SOURCE,
) -> None:
    """Week-over-week NPS (ISO weeks, UTC), with the change and whether it is beyond chance."""
    from analytics.nps.queries import weekly_trend

    with db_session() as session:
        trend = weekly_trend(session, _filter(since, until, source), weeks=weeks)
    if plot is not None:
        if plot.suffix.lower() != ".png":
            raise fail(f"--plot must name a .png file, not {str(plot)!r}", 2)
        from analytics.nps.plot import plot_trend

        try:
            plot_trend(trend, plot)
        except OSError as exc:
            raise fail(f"cannot write {plot}: {exc.strerror or exc}") from None
    if as_json:
        echo_json([{**item.week.to_json(), "week": item.week.group,
                    "change": None if item.change is None else round(item.change, 1),
                    "change_significant": item.significant} for item in trend])
    else:
        table = Table(title="NPS by week", caption="change: since the previous week with answers; "
                      "* = beyond chance at 95%")
        for column in ("week", "from", "answers", "NPS", "95% interval", "change"):
            table.add_column(column, justify="left" if column in ("week", "from") else "right")
        for item in trend:
            summary = item.week.summary
            change = _fmt(item.change, signed=True) + (" *" if item.significant else "")
            table.add_row(id_cell(item.week.group), str(item.week.week_start), str(summary.counts.responses),
                          _fmt(summary.nps, signed=True), _ci(summary.ci95), change)
        if not trend:
            out.print("no NPS answers yet")
        else:
            out.print(table)
    if plot is not None:
        err.print(f"plot written to {escape(show_id(plot))}")


@nps_app.command("detractors")
def detractors_command(
    include_closed: bool = typer.Option(False, "--all", help="Include closed follow-ups."),
    overdue: bool = typer.Option(False, "--overdue", help="Only follow-ups past their 48-hour due time."),
    limit: int = typer.Option(50, "--limit", min=1, help="At most this many."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    since: str = SINCE,
    source: str = SOURCE,
) -> None:
    """Detractors (0-6) to call back within 48 hours, most urgent first. Comments are shown redacted."""
    from analytics.nps.queries import detractor_followups
    from analytics.timeutil import iso_utc, utcnow

    now = utcnow()
    with db_session() as session:
        items = detractor_followups(session, now, include_closed=include_closed, overdue_only=overdue, limit=limit,
                                    survey_filter=_filter(since, None, source))
    if as_json:
        echo_json([{  # the comment redacted as in the table; ids verbatim, unsafe characters \u-escaped
            "id": item.id, "responded_at": iso_utc(item.responded_at), "score": item.score,
            "comment": show_text(item.comment) or None, "customer_id": item.customer_id,
            "touchpoint": item.touchpoint, "channel": item.channel, "agent_ids": item.agent_ids,
            "owner": item.owner, "status": item.status, "due": iso_utc(item.due), "overdue": item.overdue,
        } for item in items])
        return
    if not items:
        out.print("no detractor follow-ups" + (" overdue" if overdue else " open"))
        return
    table = Table(title="Detractor follow-up (call back within 48 h)", box=box.SIMPLE_HEAD, show_lines=True,
                  expand=True)
    table.add_column("id", justify="right", no_wrap=True)
    table.add_column("score", justify="right", no_wrap=True)
    table.add_column("due (UTC)", no_wrap=True)
    table.add_column("status", overflow="fold")
    table.add_column("customer", overflow="fold")
    table.add_column("comment (redacted)", overflow="fold", ratio=1)
    for item in items:
        due = Text(_when(item.due, now), style="bold red" if item.overdue else "")
        where = " · ".join(show_id(value) for value in (item.touchpoint, item.channel) if value) or "–"
        agents = ", ".join(show_id(agent) for agent in item.agent_ids) or "no agent"
        table.add_row(str(item.id), str(item.score), due,
                      Text(f"{show_id(item.status) or '–'}\n{show_id(item.owner) or 'unassigned'}"),
                      Text(f"{show_id(item.customer_id) or '–'}\n{where}\n{agents}"),
                      text_cell(item.comment, max_length=300))
    out.print(table)


def _when(due: datetime | None, now: datetime) -> str:
    if due is None:
        return "–"
    hours = (due - now) / timedelta(hours=1)
    relative = f"in {hours:.0f} h" if hours >= 0 else f"{-hours:.0f} h late"
    return f"{due:%m-%d %H:%M}\n{relative}"


@nps_app.command("followup")
def followup_command(
    response_id: int = typer.Argument(..., metavar="ID", help="The detractor's id (from `cxqa nps detractors`)."),
    owner: str = typer.Option(None, "--owner", help="Who calls the customer back."),
    status: str = typer.Option(None, "--status", help="open | in_progress | closed."),
) -> None:
    """Assign a detractor follow-up and move it along (open → in_progress → closed)."""
    from analytics.nps.queries import FollowupError, update_followup

    try:
        with db_session() as session:
            response = update_followup(session, response_id, owner=owner, status=status)
            summary = (f"follow-up {response.id}: status {show_id(response.followup_status)}, "
                       f"owner {show_id(response.followup_owner) or '–'}")
    except FollowupError as exc:
        raise fail(str(exc)) from None
    out.print(escape(summary))


@nps_app.command("import")
def import_command(
    file: Path = typer.Argument(..., help="CSV with survey_id, score, responded_at and optional columns."),
    source: str = typer.Option(DEFAULT_SOURCE, "--source",
                               help="Source of rows without a source cell; surveys join that source's conversations."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Validate only; write nothing."),
    followups: bool = typer.Option(True, "--followups/--no-followups",
                                   help="Open 48-hour follow-ups for new detractors (off for old history)."),
) -> None:
    """Import NPS answers from phone, email or store surveys. An invalid file writes nothing."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from analytics.nps.csv_import import NpsCsvError, import_nps_csv, validate_nps_csv

    if not file.is_file():
        raise fail(f"{file}: no such file", 2)
    if not source.strip() or len(source) > 64:
        raise fail("--source must be a name of 1 to 64 characters", 2)
    try:
        if dry_run:
            rows = validate_nps_csv(file, source)
            out.print(f"[green]valid[/green]: {rows} row(s) in {escape(str(file))}; nothing written (--dry-run)")
            return
        with Progress(TextColumn("importing NPS"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      console=err, transient=True) as progress:
            task = progress.add_task("import", total=None)

            def on_progress(done: int, total: int) -> None:
                progress.update(task, completed=done, total=total)

            with db_session(write=True) as session:
                result = import_nps_csv(session, file, default_source=source, create_followups=followups,
                                        on_progress=on_progress)
    except NpsCsvError as exc:
        err.print(f"[red]error:[/red] {escape(str(exc))}\nNothing was imported.")
        raise typer.Exit(1) from None
    except OSError as exc:
        raise fail(f"cannot read {file}: {exc.strerror or exc}") from None
    out.print(
        f"[green]imported[/green] {result.rows} NPS row(s) from {escape(str(file))}: {result.inserted} new, "
        f"{result.updated} updated; {result.linked} joined to their conversation, {result.unlinked} waiting for "
        f"theirs (cxqa nps link); {result.followups_opened} detractor follow-up(s) opened."
    )


@nps_app.command("link")
def link_command() -> None:
    """Link surveys to conversations that were imported or synced after them."""
    from analytics.nps.recording import link_unlinked_responses

    with db_session() as session:
        linked = link_unlinked_responses(session)
    out.print(f"linked {linked} survey(s) to their conversation")


@nps_app.command("flush-spool")
def flush_spool_command(
    spool: Path = typer.Option(None, "--spool", help="Spool file (default: CXQA_NPS_SPOOL or var/nps_spool.jsonl)."),
) -> None:
    """Store answers the bot spooled while the database was unavailable (the scheduler runs this too)."""
    from sqlalchemy.exc import SQLAlchemyError

    from analytics.nps.recording import flush_spool
    from analytics.nps.spool import Spool
    from analytics.storage import make_engine, make_session_factory

    engine = make_engine()
    try:
        stored = flush_spool(make_session_factory(engine), spool)
    except SQLAlchemyError as exc:
        raise fail(f"database: {str(exc).splitlines()[0]}") from None
    finally:
        engine.dispose()
    pending = Spool(spool).pending_count()
    out.print(f"stored {stored} spooled answer(s); {pending} still waiting" + (
        " (database unavailable? they are kept and retried)" if pending else ""))
