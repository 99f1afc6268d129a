"""``cxqa report ...`` (quality gaps, touchpoints next to NPS) and ``cxqa coach ...`` (assign, review)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from analytics.cli_output import echo_json, id_cell, out, show_id
from analytics.cli_support import db_session, fail

report_app = typer.Typer(help="Quality reports for support leads and trainers.", no_args_is_help=True)
coach_app = typer.Typer(help="Coaching assignments: assign, review whether they worked, mark done.",
                        no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")
    app.add_typer(coach_app, name="coach")


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


@report_app.command("gaps")
def gaps_command(
    days: int = typer.Option(None, help="Window in days (default: window_days in targets.yml)."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
    plot: Path = typer.Option(None, help="Also draw each agent's scores against the targets into this PNG."),
) -> None:
    """Each agent's mean politeness, efficiency and de-escalation against the targets; gaps first."""
    from analytics.coaching.gaps import find_gaps
    from analytics.coaching.queries import agent_stats
    from analytics.coaching.targets import load_targets
    from analytics.timeutil import utcnow

    targets = load_targets()
    window = days or targets.window_days
    if window <= 0:
        raise fail("--days must be a positive number of days")
    since = utcnow() - timedelta(days=window)
    with db_session() as session:
        stats = agent_stats(session, since=since)
    gaps = find_gaps(stats, targets)
    if plot:
        from analytics.reports.plots import plot_agent_scores

        plot_agent_scores(stats, targets, plot)
    if as_json:
        echo_json({  # ids verbatim, unsafe characters \u-escaped (analytics/cli_output.py)
            "window_days": window,
            "agents": [{"agent": s.subject, "dimension": s.dimension, "mean": round(s.mean, 2),
                        "conversations": s.conversations} for s in stats],
            "gaps": [{"agent": g.subject, "dimension": g.dimension, "mean": round(g.mean, 2), "target": g.target,
                      "shortfall": round(g.shortfall, 2), "conversations": g.conversations,
                      "coaching_hint": targets.dimensions[g.dimension].coaching_hint} for g in gaps],
        })
        return
    table = Table(title=f"Agents below target (last {window} days, at least {targets.min_conversations} "
                  "scored conversations)")
    for column in ("agent", "dimension", "mean", "target", "short by", "conversations", "what to coach"):
        table.add_column(column)
    for gap in gaps:
        table.add_row(id_cell(gap.subject), targets.dimensions[gap.dimension].label, _fmt(gap.mean),
                      f"{gap.target:g}", _fmt(gap.shortfall), str(gap.conversations),
                      targets.dimensions[gap.dimension].coaching_hint)
    out.print(table if gaps else f"No agent is below target in the last {window} days "
              f"({len({s.subject for s in stats})} agents with scored conversations).")
    if plot:
        out.print(f"chart written to {escape(show_id(plot))}")


@report_app.command("touchpoints")
def touchpoints_command(
    days: int = typer.Option(None, help="Window in days (default: window_days in targets.yml)."),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Quality per touchpoint and channel (bot and human alike) next to the touchpoint's NPS."""
    from analytics.coaching.queries import touchpoint_stats
    from analytics.coaching.targets import load_targets
    from analytics.nps.queries import SurveyFilter, nps_summary
    from analytics.timeutil import utcnow

    targets = load_targets()
    window = days or targets.window_days
    since = utcnow() - timedelta(days=window)
    with db_session() as session:
        stats = touchpoint_stats(session, since=since)
        nps = {group.group: group for group in nps_summary(session, by="touchpoint",
                                                            survey_filter=SurveyFilter(since=since))}
    rows: dict[str, dict] = {}
    for stat in stats:
        row = rows.setdefault(stat.subject, {"touchpoint": stat.subject, "conversations": 0})
        row[stat.dimension] = round(stat.mean, 2)
        row["conversations"] = max(row["conversations"], stat.conversations)
    for row in rows.values():
        summary = nps.get(row["touchpoint"].split(" / ")[0])
        row["nps"] = None if summary is None or summary.summary.nps is None else round(summary.summary.nps, 1)
        row["nps_responses"] = 0 if summary is None else summary.summary.counts.responses
    ordered = sorted(rows.values(), key=lambda r: -r["conversations"])
    if as_json:
        echo_json({"window_days": window, "touchpoints": ordered})
        return
    table = Table(title=f"Touchpoints, last {window} days (NPS is the touchpoint's, all channels)")
    for column in ("touchpoint / channel", "conversations", *(t.label for t in targets.dimensions.values()),
                   "NPS", "NPS answers"):
        table.add_column(column)
    for row in ordered:
        cells = []
        for name, target in targets.dimensions.items():
            value = row.get(name)
            style = "red" if value is not None and value < target.target else ""
            cells.append(f"[{style}]{_fmt(value)}[/{style}]" if style else _fmt(value))
        table.add_row(id_cell(row["touchpoint"]), str(row["conversations"]), *cells, _fmt(row["nps"]),
                      str(row["nps_responses"]))
    out.print(table)


@coach_app.command("assign")
def assign_command(
    agent: str = typer.Argument(..., help="Agent id."),
    dimension: str = typer.Argument(..., help="politeness, efficiency or deescalation."),
    touchpoint: str = typer.Option(None, help="Coach for one touchpoint only (e.g. warranty)."),
    by: str = typer.Option(None, "--by", help="Who assigns it (trainer's name)."),
    note: str = typer.Option(None, help="What to work on."),
    due_days: int = typer.Option(14, help="Due in this many days."),
) -> None:
    """Assign touchpoint coaching to an agent; the agent's current mean is kept as the baseline."""
    from analytics.coaching.assignments import CoachingError, assign
    from analytics.coaching.targets import load_targets
    from analytics.timeutil import utcnow

    try:
        with db_session(write=True) as session:
            assignment = assign(session, load_targets(), agent_id=agent, dimension=dimension, now=utcnow(),
                                touchpoint=touchpoint, assigned_by=by, note=note, due_days=due_days)
            number, baseline, due = assignment.id, assignment.baseline_value, assignment.due_at
    except CoachingError as exc:
        raise fail(str(exc)) from None
    out.print(f"coaching #{number} assigned to {escape(show_id(agent))} on {escape(show_id(dimension))}: "
              f"baseline {_fmt(baseline)}, due {due:%Y-%m-%d}")


@coach_app.command("done")
def done_command(assignment_id: int = typer.Argument(...),
                 status: str = typer.Option("done", help="done, open or cancelled.")) -> None:
    """Mark a coaching assignment done (or reopen or cancel it)."""
    from analytics.coaching.assignments import CoachingError, set_status
    from analytics.timeutil import utcnow

    try:
        with db_session() as session:
            set_status(session, assignment_id, status, utcnow())
    except CoachingError as exc:
        raise fail(str(exc)) from None
    out.print(f"coaching #{assignment_id}: {escape(show_id(status))}")


@coach_app.command("review")
def review_command(as_json: bool = typer.Option(False, "--json", help="Machine-readable output.")) -> None:
    """Did coaching work? Each assignment's mean before vs after, with a 95% interval of the change."""
    from analytics.coaching.assignments import review
    from analytics.coaching.targets import load_targets
    from analytics.timeutil import iso_utc, utcnow

    targets = load_targets()
    with db_session() as session:
        reviews = review(session, targets, utcnow())
        rows = [{
            "id": r.assignment.id, "agent": r.assignment.agent_id, "dimension": r.assignment.dimension,
            "touchpoint": r.assignment.touchpoint, "status": r.assignment.status,
            "assigned_at": iso_utc(r.assignment.assigned_at), "due_at": iso_utc(r.assignment.due_at),
            "before": None if r.effect.before_mean is None else round(r.effect.before_mean, 2),
            "after": None if r.effect.after_mean is None else round(r.effect.after_mean, 2),
            "before_n": r.effect.before_n, "after_n": r.effect.after_n,
            "change": None if r.effect.difference is None else round(r.effect.difference, 2),
            "ci95": None if r.effect.ci95 is None else [round(v, 2) for v in r.effect.ci95],
            "verdict": r.effect.verdict, "meets_target": r.meets_target, "target": r.assignment.target_value,
        } for r in reviews]
    if as_json:
        echo_json({"assignments": rows})
        return
    table = Table(title="Coaching: before vs after")
    for column in ("#", "agent", "dimension", "status", "before (n)", "after (n)", "change [95% CI]", "verdict",
                   "target met"):
        table.add_column(column)
    for row in rows:
        interval = "" if row["ci95"] is None else f" [{row['ci95'][0]:+.1f}, {row['ci95'][1]:+.1f}]"
        table.add_row(str(row["id"]), id_cell(row["agent"]), id_cell(row["dimension"]), id_cell(row["status"]),
                      f"{_fmt(row['before'])} ({row['before_n']})", f"{_fmt(row['after'])} ({row['after_n']})",
                      ("-" if row["change"] is None else f"{row['change']:+.1f}") + interval, row["verdict"],
                      {True: "yes", False: "no", None: "-"}[row["meets_target"]])
    out.print(table if rows else "No coaching assignments yet (cxqa coach assign AGENT DIMENSION).")
