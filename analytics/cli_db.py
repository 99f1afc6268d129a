"""``cxqa db``: migrations and the state of the database."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table
from sqlalchemy import func, select

from analytics.cli_output import out as console
from analytics.cli_output import show_id
from analytics.storage import Base, make_engine
from analytics.storage.db import database_url
from analytics.storage.migrate import current_revision, upgrade

db_app = typer.Typer(help="Database migrations and status.", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade_command(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Create or migrate the database (CXQA_DATABASE_URL, default a SQLite file under var/)."""
    engine = make_engine()
    upgrade(engine, revision)
    console.print(f"[green]database at revision {current_revision(engine)}[/green] ({escape(_safe_url())})")
    engine.dispose()


@db_app.command("status")
def status_command() -> None:
    """Show the revision and the row count of every table."""
    engine = make_engine()
    revision = current_revision(engine)
    console.print(f"database: {escape(_safe_url())}\nrevision: {revision or 'none (run: cxqa db upgrade)'}")
    if revision:
        table = Table("table", "rows")
        with engine.connect() as conn:
            for model_table in Base.metadata.sorted_tables:
                count = conn.execute(select(func.count()).select_from(model_table)).scalar_one()
                table.add_row(model_table.name, str(count))
        console.print(table)
    engine.dispose()


def _safe_url() -> str:
    from sqlalchemy.engine import make_url

    return show_id(make_url(database_url()).render_as_string(hide_password=True))
