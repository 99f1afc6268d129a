"""Engine and session construction for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_SQLITE_PATH = PROJECT_ROOT / "var" / "cxqa.db"


def database_url(url: str | None = None) -> str:
    """The database to use: an explicit URL, else ``CXQA_DATABASE_URL``, else a SQLite file under var/."""
    chosen = url or os.environ.get("CXQA_DATABASE_URL") or f"sqlite:///{DEFAULT_SQLITE_PATH}"
    # Plain "postgresql://" would pick psycopg2, which we do not install; we ship psycopg 3.
    if chosen.startswith("postgresql://") or chosen.startswith("postgres://"):
        chosen = "postgresql+psycopg://" + chosen.split("://", 1)[1]
    return chosen


def sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL; None for other databases and in-memory SQLite."""
    parsed = make_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:") or database.startswith("file:"):
        return None
    return Path(database)


def create_private_file(path: Path) -> None:
    """Create ``path`` readable and writable by its owner only (0600), unless it exists.

    SQLite would create a new database file 0644 (less the umask), readable by every user of the machine;
    its -wal, -shm and -journal files take the mode of the database file, so they are 0600 too.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _configure_sqlite(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str | None = None, **kwargs) -> Engine:
    """Create an engine; SQLite gets foreign keys, WAL and a busy timeout on every connection."""
    resolved = database_url(url)
    if resolved.startswith("sqlite"):
        path = sqlite_file(resolved)
        if path is not None:
            create_private_file(path)
        engine = create_engine(resolved, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(resolved, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)
