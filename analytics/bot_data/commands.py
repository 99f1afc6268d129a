"""``cxqa seed-knowledge``: load bot/knowledge into the database (product catalog and demo registry)."""

from __future__ import annotations

from pathlib import Path

import typer


def seed_knowledge_command(
    database_url: str | None = typer.Option(None, "--database-url", help="Default: CXQA_DATABASE_URL or var/cxqa.db."),
    knowledge_dir: Path | None = typer.Option(None, "--knowledge-dir", help="Default: bot/knowledge."),
) -> None:
    """Seed the product catalog and the demo product registry from bot/knowledge/*.yml (safe to re-run)."""
    from rich.markup import escape

    from analytics.bot_data.knowledge import KnowledgeError, load_knowledge
    from analytics.bot_data.seed import seed_knowledge
    from analytics.cli_output import out as console
    from analytics.storage.db import make_engine, make_session_factory

    try:
        knowledge = load_knowledge(knowledge_dir)
    except KnowledgeError as exc:
        console.print(f"[red]Knowledge files are not valid:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from None
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine).begin() as session:
            result = seed_knowledge(session, knowledge)
    except Exception as exc:  # a user-facing command: say what failed, no traceback
        console.print(f"[red]Could not write to the database ({escape(engine.url.render_as_string())}):[/red] "
                      f"{type(exc).__name__}: {escape(str(exc).splitlines()[0])}\nHas `cxqa db upgrade` been run?")
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    console.print(f"Seeded {result.products} product lines and {result.registrations} registrations.")


def register(app: typer.Typer) -> None:
    app.command("seed-knowledge")(seed_knowledge_command)
