"""Rasa's SQL tracker store with a SQLite set-up fit for a chat server (loaded by Rasa from bot/endpoints.yml).

Rasa 3.6's SQLTrackerStore opens SQLite with SQLAlchemy 1.4's defaults: a new connection for every read and
write (NullPool) and full fsync on every commit. Measured on this project's machines that is ~23 ms per
saved message (the commit's fsync, then the WAL checkpoint when the last connection closes) against 0.3 ms
in memory. Here the same store keeps a small pool of open connections, in WAL mode with
``synchronous=NORMAL`` (a power cut may lose the last few events; a crash of Rasa loses nothing), and a
busy timeout so our sync can read while Rasa writes. Any other database (PostgreSQL) is left as Rasa
configures it. Same table, same events: ``cxqa sync`` reads it unchanged.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy import event
from sqlalchemy.orm import sessionmaker
from sqlalchemy.pool import QueuePool

from bot import action_call_timeout, remote_action_validation

# Rasa imports this module when it starts the server (bot/endpoints.yml): the moment to make its check of
# the action server's replies cheap (see bot/remote_action_validation.py) and to give its calls to the
# action server a timeout of a few seconds (see bot/action_call_timeout.py).
remote_action_validation.install()
action_call_timeout.install()

SQLITE_PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA busy_timeout=10000")


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    for pragma in SQLITE_PRAGMAS:
        cursor.execute(pragma)
    cursor.close()


class PooledSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` keeping SQLite connections open (WAL, synchronous=NORMAL)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.engine.dialect.name != "sqlite":
            return
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(
            url,
            poolclass=QueuePool,
            pool_size=2,
            max_overflow=8,
            connect_args={"check_same_thread": False, "timeout": 30},
        )
        event.listen(self.engine, "connect", _configure_sqlite)
        self.sessionmaker = sessionmaker(bind=self.engine)
