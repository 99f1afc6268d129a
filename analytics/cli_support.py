"""Helpers shared by the ``cxqa`` commands: a database session with clear errors, and error exits."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer
from rich.markup import escape
from sqlalchemy.orm import Session

from analytics.cli_output import err


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print one clear error line and return the exit. Messages may quote user input or stored values: markup
    is escaped, and the console shows control characters as visible escapes (analytics/cli_output.py)."""
    err.print(f"[red]error:[/red] {escape(message)}", soft_wrap=True)  # one line, however long: grep-able
    return typer.Exit(code)


@contextmanager
def db_session(write: bool = False) -> Iterator[Session]:
    """A session on CXQA_DATABASE_URL in one transaction; database errors become one line, not a traceback."""
    from sqlalchemy.exc import SQLAlchemyError

    from analytics.storage import make_engine, make_session_factory
    from analytics.storage.migrate import upgrade

    engine = make_engine()
    try:
        if write:
            upgrade(engine)
        with make_session_factory(engine)() as session, session.begin():
            yield session
    except SQLAlchemyError as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise fail(f"database: {first_line} (is the database up and migrated? try: cxqa db upgrade)") from None
    finally:
        engine.dispose()
