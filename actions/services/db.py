"""The action server's database: one engine per process, built lazily from ``CXQA_DATABASE_URL``.

Tests point the actions at their own database by setting the variable and calling ``reset_engine()``.
Any database failure reaches the actions as ``BackendUnavailable``, so they can say "I can't look that up
right now" instead of failing the turn.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from analytics.storage.db import database_url, make_engine, make_session_factory

logger = logging.getLogger(__name__)

# A database that does not answer must not hold a customer's turn for long.
POSTGRES_CONNECT_TIMEOUT_SECONDS = 3

_lock = threading.Lock()
_engine: Engine | None = None
_session_factory: sessionmaker[Session] | None = None


class BackendUnavailable(RuntimeError):
    """The database could not be reached or refused the query."""


def get_session_factory() -> sessionmaker[Session]:
    """The process-wide session factory (created on first use)."""
    global _engine, _session_factory
    with _lock:
        if _session_factory is None:
            url = database_url()
            if url.startswith("sqlite"):
                _engine = make_engine(url)
            else:
                _engine = make_engine(url, connect_args={"connect_timeout": POSTGRES_CONNECT_TIMEOUT_SECONDS})
            _session_factory = make_session_factory(_engine)
        return _session_factory


def reset_engine() -> None:
    """Forget the engine (after changing ``CXQA_DATABASE_URL``, e.g. in tests)."""
    global _engine, _session_factory
    with _lock:
        if _engine is not None:
            _engine.dispose()
        _engine = None
        _session_factory = None


@contextmanager
def transaction() -> Iterator[Session]:
    """A session in a transaction that commits on success; database errors become ``BackendUnavailable``."""
    try:
        with get_session_factory().begin() as session:
            yield session
    except SQLAlchemyError as exc:
        logger.warning("database unavailable: %s: %s", type(exc).__name__, str(exc).splitlines()[0])
        raise BackendUnavailable(str(exc).splitlines()[0]) from exc
