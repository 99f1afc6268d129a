"""The ``cxqa`` command line. Each area registers its commands from its own module; this file only wires."""

from __future__ import annotations

import typer

from analytics.cli_db import db_app
from analytics.cli_import import import_command

app = typer.Typer(
    name="cxqa",
    help="cxqa: customer-service quality assistant (bot touchpoint, transcript scoring, NPS, coaching).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(db_app, name="db")
app.command("import")(import_command)


def _register_optional_areas() -> None:
    """Areas add commands through ``register(app)`` in their ``commands`` module."""
    import importlib

    for module_name in ("analytics.scoring.commands", "analytics.nps.commands", "analytics.reports.commands",
                        "analytics.sync.commands", "analytics.scheduler.commands", "analytics.bot_data.commands"):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name and module_name.startswith(exc.name):
                continue  # that area is not built yet
            raise
        module.register(app)


_register_optional_areas()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
