"""Fixtures of the runtime tests: one real bot (Rasa + actions + page) shared by the whole test session.

Starting Rasa costs ~30 s and 1.2 GB, so ``runtime_stack`` starts it once (session scope) on free ports
with its own SQLite databases; tests use their own sender ids so their conversations never mix.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from analytics.storage.db import make_engine
from analytics.sync.tracker_db import make_tracker_engine
from tests.support.ci import skip_or_fail_in_ci
from tests.support.rasa_servers import RuntimeStack, model_or_skip, started
from tests.support.tracker_fixture import create_events_table

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def runtime_stack(tmp_path_factory) -> Iterator[RuntimeStack]:
    """Actions + Rasa + support page (no scheduler: scheduler tests drive its jobs themselves).

    CXQA_TEST_ATTACH="RASA_PORT,WEB_PORT,TRACKER_URL,DATABASE_URL" uses a stack you started yourself.
    """
    if os.environ.get("CXQA_TEST_ATTACH"):
        yield RuntimeStack.attached(tmp_path_factory.mktemp("attached"), os.environ["CXQA_TEST_ATTACH"])
        return
    with started(RuntimeStack(tmp_path_factory.mktemp("runtime-stack"), model_or_skip(), scheduler=False)) as stack:
        yield stack


@pytest.fixture
def sender_id() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = shutil.which("chromium")
    if path is None:
        skip_or_fail_in_ci("Debian's chromium is not installed (scripts/ensure_chromium.sh installs it)")
    return path


@pytest.fixture
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def postgres_tracker_admin(postgres_url):
    """A PostgreSQL database of its own for tracker tables (Rasa's store is a separate database)."""
    admin_url = make_url(postgres_url).set(database="postgres").render_as_string(hide_password=False)
    admin = make_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"cxqa_tracker_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def tracker_engine(request, db_url, tmp_path):
    """An empty ``events`` table on the same kind of database as ``db_url``."""
    if db_url.startswith("sqlite"):
        url = f"sqlite:///{tmp_path / 'rasa_tracker.db'}"
    else:
        url = request.getfixturevalue("postgres_tracker_admin")
    engine = make_tracker_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS events"))
    create_events_table(engine)
    yield engine
    engine.dispose()
