"""bot/endpoints.yml read by Rasa itself (its virtualenv): environment variables choose SQLite or PostgreSQL
for the tracker store and in-memory or Redis for the lock store. No model needed."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from analytics.storage.db import make_engine
from analytics.sync.tracker_db import make_tracker_engine, tracker_url_for_rasa
from bot.launcher import LaunchSettings, child_environment
from tests.support.ci import skip_or_fail_in_ci
from tests.support.rasa_servers import REPO_ROOT

pytestmark = pytest.mark.rasa

RASA_PYTHON = REPO_ROOT / ".venv-rasa" / "bin" / "python"

# Runs inside Rasa's virtualenv: build the stores exactly as `rasa run` does, save a tracker, take a lock.
PROBE = """
import asyncio, json, sys
from rasa.core.lock_store import LockStore
from rasa.core.tracker_store import TrackerStore
from rasa.core.utils import AvailableEndpoints
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

async def main(sender):
    endpoints = AvailableEndpoints.read_endpoints("bot/endpoints.yml")
    domain = Domain.from_dict({"intents": ["greet"]})
    store = TrackerStore.create(endpoints.tracker_store, domain)
    tracker = DialogueStateTracker(sender, domain.slots)
    tracker.update(UserUttered("hello", {"name": "greet", "confidence": 1.0}))
    tracker.update(ActionExecuted("action_listen"))
    await store.save(tracker)
    again = await store.retrieve(sender)
    lock_store = LockStore.create(endpoints.lock_store)
    async with lock_store.lock(sender):
        pass
    print(json.dumps({
        "store": type(store._tracker_store if hasattr(store, "_tracker_store") else store).__name__,
        "events": len(again.events), "lock_store": type(lock_store).__name__,
        "action_endpoint": endpoints.action.url,
    }))

asyncio.run(main(sys.argv[1]))
"""


def run_probe(env_overrides: dict[str, str]) -> dict:
    if not RASA_PYTHON.is_file():
        pytest.skip("Rasa's virtualenv (.venv-rasa) is not installed")
    settings = LaunchSettings.from_environment({})
    env = child_environment(settings, {**os.environ, **env_overrides})
    sender = f"probe-{uuid.uuid4().hex[:8]}"
    result = subprocess.run(
        [str(RASA_PYTHON), "-c", PROBE, sender], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return {**json.loads(result.stdout.strip().splitlines()[-1]), "sender": sender}


def stored_events(tracker_url: str, sender: str) -> list[str]:
    engine = make_tracker_engine(tracker_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT type_name FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender})
        names = [row[0] for row in rows]
    engine.dispose()
    return names


def test_default_sqlite_tracker_and_in_memory_lock(tmp_path):
    tracker_url = f"sqlite:///{tmp_path / 'tracker.db'}"
    probe = run_probe({"CXQA_TRACKER_URL": tracker_url})
    assert probe["store"] == "PooledSQLTrackerStore"  # not Rasa's silent in-memory fallback
    assert probe["lock_store"] == "InMemoryLockStore"
    assert probe["action_endpoint"] == "http://127.0.0.1:5055/webhook"
    assert probe["events"] == 2
    assert stored_events(tracker_url, probe["sender"]) == ["user", "action"]


def test_postgresql_tracker_and_redis_lock_by_configuration(postgres_url):
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=2).close()
    except OSError:
        skip_or_fail_in_ci("no Redis at 127.0.0.1:6379")
    database = f"cxqa_rasa_tracker_{uuid.uuid4().hex[:8]}"
    tracker_url = make_url(postgres_url).set(database=database).render_as_string(hide_password=False)
    admin = make_engine(
        make_url(postgres_url).set(database="postgres").render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
    )
    try:
        from analytics.sync.tracker_db import ensure_tracker_database

        ensure_tracker_database(tracker_url)  # what the launcher does before starting Rasa
        probe = run_probe({"CXQA_TRACKER_URL": tracker_url, "CXQA_LOCK_STORE": "redis", "CXQA_REDIS_DB": "3"})
        assert tracker_url_for_rasa(tracker_url).startswith("postgresql://")  # Rasa's psycopg2 driver
        assert probe["store"] == "PooledSQLTrackerStore" and probe["lock_store"] == "RedisLockStore"
        assert stored_events(tracker_url, probe["sender"]) == ["user", "action"]
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()
