"""Where Rasa's SQL tracker store lives, and how we open it (read-only use, separate from our database).

One setting for both sides: ``CXQA_TRACKER_URL`` is an SQLAlchemy URL that the launcher hands to Rasa
(bot/endpoints.yml puts it in the tracker store's ``host``, which Rasa passes to SQLAlchemy unchanged) and
that ``cxqa sync`` and the scheduler read. Default: the SQLite file var/rasa_tracker.db (absolute path).
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from analytics.storage.db import PROJECT_ROOT, database_url, make_engine

DEFAULT_TRACKER_PATH = PROJECT_ROOT / "var" / "rasa_tracker.db"


def tracker_url_for_rasa(url: str | None = None) -> str:
    """The tracker store URL as Rasa (SQLAlchemy 1.4 + psycopg2) wants it."""
    chosen = url or os.environ.get("CXQA_TRACKER_URL") or f"sqlite:///{DEFAULT_TRACKER_PATH}"
    parsed = make_url(chosen)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database or ""
        if database and database != ":memory:" and not Path(database).is_absolute():
            # Rasa runs from the repository root, we might not: pin relative paths to the repository.
            parsed = parsed.set(database=str((PROJECT_ROOT / database).resolve()))
        return parsed.render_as_string(hide_password=False)
    if parsed.get_backend_name() == "postgresql":
        return parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    return chosen


def tracker_url_for_us(url: str | None = None) -> str:
    """The same database as seen from the main virtualenv (SQLAlchemy 2 + psycopg 3)."""
    return database_url(tracker_url_for_rasa(url))


def make_tracker_engine(url: str | None = None) -> Engine:
    return make_engine(tracker_url_for_us(url))


def ensure_tracker_database(url: str | None = None) -> None:
    """Create the tracker's PostgreSQL database if it does not exist (SQLite files create themselves)."""
    target = make_url(tracker_url_for_us(url))
    if target.get_backend_name() != "postgresql" or not target.database:
        if target.get_backend_name() == "sqlite" and target.database:
            Path(target.database).parent.mkdir(parents=True, exist_ok=True)
        return
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database}
            ).scalar()
            if not exists:
                quoted = conn.dialect.identifier_preparer.quote(target.database)
                conn.execute(text(f"CREATE DATABASE {quoted}"))
    finally:
        admin.dispose()
