"""Fixtures of the bot tests: actions against a real seeded database, trackers, and the trained model.

``bot_db`` points the actions at the test database (SQLite and PostgreSQL, via ``db_url``) with the
knowledge seeded. ``trained_model`` trains ``models/cxqa.tar.gz`` with the Rasa virtualenv when it is
missing or older than the training data (once per session; Rasa's cache makes an unchanged retrain cheap).
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.services.db import reset_engine
from analytics.bot_data.knowledge import get_knowledge
from analytics.bot_data.seed import seed_knowledge
from analytics.storage import make_engine, make_session_factory
from tests.support.ci import skip_or_fail_in_ci

REPO_ROOT = Path(__file__).resolve().parents[2]
RASA_BIN = REPO_ROOT / ".venv-rasa" / "bin" / "rasa"
MODEL_DIR = REPO_ROOT / "models"
MODEL_NAME = "cxqa"
MODEL_PATH = MODEL_DIR / f"{MODEL_NAME}.tar.gz"
TRAINING_INPUTS = [REPO_ROOT / "config.yml", REPO_ROOT / "domain.yml", REPO_ROOT / "nlu_data",
                   REPO_ROOT / "bot" / "policies", REPO_ROOT / "bot" / "nlu"]
RASA_ENV = {"RASA_TELEMETRY_ENABLED": "false", "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}
DOMAIN = yaml.safe_load((REPO_ROOT / "domain.yml").read_text(encoding="utf-8"))


# --- database -------------------------------------------------------------------------------------------

@pytest.fixture
def bot_db(db_url, monkeypatch, tmp_path) -> Iterator[str]:
    """``db_url`` with the catalog and demo registry seeded; the actions' engine points at it."""
    engine = make_engine(db_url)
    with make_session_factory(engine).begin() as session:
        seed_knowledge(session, get_knowledge())
    engine.dispose()
    monkeypatch.setenv("CXQA_DATABASE_URL", db_url)
    monkeypatch.setenv("CXQA_NPS_SPOOL", str(tmp_path / "nps_spool.jsonl"))
    reset_engine()
    yield db_url
    reset_engine()


@pytest.fixture
def broken_db(monkeypatch, tmp_path) -> Iterator[str]:
    """A database that does not answer (a closed PostgreSQL port): every action must stay polite."""
    url = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"
    monkeypatch.setenv("CXQA_DATABASE_URL", url)
    monkeypatch.setenv("CXQA_NPS_SPOOL", str(tmp_path / "nps_spool.jsonl"))
    reset_engine()
    yield url
    reset_engine()


# --- trackers and running actions -------------------------------------------------------------------------

def user_event(text: str, intent: str | None, timestamp: float, entities: list[dict] | None = None) -> dict:
    return {"event": "user", "timestamp": timestamp, "text": text,
            "parse_data": {"intent": {"name": intent, "confidence": 0.9}, "entities": entities or [], "text": text}}


def make_tracker(
    *,
    sender_id: str = "web-visitor-1",
    slots: dict[str, Any] | None = None,
    text: str = "",
    intent: str | None = None,
    entities: list[dict] | None = None,
    intent_ranking: list[dict] | None = None,
    history: list[tuple[str, str]] = (),
    slot_candidates: dict[str, Any] | None = None,
    active_loop: str | None = None,
    session_start: float = 1_795_000_000.0,
    metadata: dict[str, Any] | None = None,
    confidence: float = 0.9,
    parse_extra: dict[str, Any] | None = None,
) -> Tracker:
    """A tracker as the action server receives it: one session started at ``session_start``, the earlier
    customer messages ``history`` (text, intent), then the latest message; ``slot_candidates`` are the
    SlotSet events that follow it (what a form validation action validates)."""
    events: list[dict] = [{"event": "action", "name": "action_session_start", "timestamp": session_start},
                          {"event": "session_started", "timestamp": session_start},
                          {"event": "action", "name": "action_listen", "timestamp": session_start}]
    for offset, (said, said_intent) in enumerate(history, start=1):
        events.append(user_event(said, said_intent, session_start + offset))
        events.append({"event": "action", "name": "action_listen", "timestamp": session_start + offset + 0.5})
    latest_time = session_start + len(history) + 1
    latest = {"text": text, "intent": {"name": intent, "confidence": confidence}, "entities": entities or [],
              "intent_ranking": intent_ranking or [{"name": intent, "confidence": confidence}],
              "metadata": metadata or {}, **(parse_extra or {})}
    events.append({**user_event(text, intent, latest_time, entities), "metadata": metadata or {}})
    all_slots = {name: None for name in DOMAIN["slots"]}
    all_slots.update(slots or {})
    for name, value in (slot_candidates or {}).items():
        events.append({"event": "slot", "name": name, "value": value, "timestamp": latest_time + 0.1})
        all_slots[name] = value
    return Tracker.from_dict({
        "sender_id": sender_id, "slots": all_slots, "latest_message": latest, "events": events, "paused": False,
        "followup_action": None, "active_loop": {"name": active_loop} if active_loop else {},
        "latest_action_name": "action_listen",
    })


class ActionRun:
    """What an action did: its events, and the messages it sent (response names and their variables)."""

    def __init__(self, events: list[dict], messages: list[dict]) -> None:
        self.events = events
        self.messages = messages

    @property
    def responses(self) -> list[str | None]:
        return [message.get("response") for message in self.messages]

    @property
    def slots(self) -> dict[str, Any]:
        return {event["name"]: event["value"] for event in self.events if event.get("event") == "slot"}

    def message(self, response: str) -> dict:
        return next(message for message in self.messages if message.get("response") == response)


def run_action(action: Action, tracker: Tracker) -> ActionRun:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, DOMAIN))
    return ActionRun(list(events), dispatcher.messages)


# --- the trained model ------------------------------------------------------------------------------------

def _newest_input_mtime() -> float:
    newest = 0.0
    for path in TRAINING_INPUTS:
        files = [path] if path.is_file() else [
            found for found in path.rglob("*") if found.is_file() and "__pycache__" not in found.parts]
        newest = max([newest, *(f.stat().st_mtime for f in files)])
    return newest


def model_is_current() -> bool:
    return MODEL_PATH.is_file() and MODEL_PATH.stat().st_mtime >= _newest_input_mtime()


def rasa_env() -> dict[str, str]:
    return {**os.environ, **RASA_ENV}


def require_rasa() -> Path:
    """The Rasa executable; skip loudly (fail under CI) when the Rasa virtualenv is absent."""
    if not RASA_BIN.is_file():
        skip_or_fail_in_ci(f"the Rasa virtualenv is missing ({RASA_BIN}): run `make install`")
    return RASA_BIN


def train_model_if_needed() -> Path:
    """Train into models/cxqa.tar.gz unless it is newer than config, domain, data and our policy."""
    rasa = require_rasa()
    MODEL_DIR.mkdir(exist_ok=True)
    with open(MODEL_DIR / ".cxqa-train.lock", "w") as lock:  # one training at a time across pytest runs
        fcntl.flock(lock, fcntl.LOCK_EX)
        if model_is_current():
            return MODEL_PATH
        started = time.monotonic()
        result = subprocess.run(
            [str(rasa), "train", "--data", "nlu_data", "--domain", "domain.yml", "--config", "config.yml",
             "--out", str(MODEL_DIR), "--fixed-model-name", MODEL_NAME],
            cwd=REPO_ROOT, env=rasa_env(), capture_output=True, text=True, timeout=1800,
        )
        if result.returncode != 0 or not MODEL_PATH.is_file():
            pytest.fail(f"rasa train failed ({result.returncode}):\n{(result.stdout + result.stderr)[-4000:]}")
        MODEL_PATH.touch()  # "nothing changed" keeps the old file: mark it current
        print(f"\n[bot tests] trained {MODEL_PATH} in {time.monotonic() - started:.0f} s")
    return MODEL_PATH


@pytest.fixture(scope="session")
def trained_model() -> Path:
    return train_model_if_needed()
