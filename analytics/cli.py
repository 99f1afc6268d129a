"""The ``cxqa`` command line. Each area registers its commands from its own module; this file only wires."""

from __future__ import annotations

import typer

from analytics.bot_data import commands as bot_data_commands
from analytics.cli_db import db_app
from analytics.cli_import import import_command
from analytics.evaluation import commands as evaluation_commands
from analytics.nps import commands as nps_commands
from analytics.reports import commands as report_commands
from analytics.scheduler import commands as scheduler_commands
from analytics.scoring import commands as scoring_commands
from analytics.sync import commands as sync_commands

app = typer.Typer(
    name="cxqa",
    help="cxqa: customer-service quality assistant (bot touchpoint, transcript scoring, NPS, coaching).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(db_app, name="db")
app.command("import")(import_command)


# Each area adds its commands in its own ``commands`` module (heavy imports stay inside the commands).
for area in (scoring_commands, nps_commands, report_commands, sync_commands, scheduler_commands,
             bot_data_commands, evaluation_commands):
    area.register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
