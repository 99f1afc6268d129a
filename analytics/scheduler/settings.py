"""Scheduler settings: intervals and thresholds from the environment, survey names from nps_trigger.yml."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from analytics.rasa_api_token import RasaTokenError, read_rasa_token

TRIGGER_FILE = Path(__file__).resolve().parent / "nps_trigger.yml"


class SettingsError(ValueError):
    """A setting has a value we cannot use; the message names it."""


@dataclass(frozen=True)
class SurveyNames:
    trigger_intent: str
    agent_entity: str
    actions: frozenset[str]
    active_loops: frozenset[str]
    intents: frozenset[str]

    @classmethod
    def load(cls, path: Path = TRIGGER_FILE) -> SurveyNames:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        started = data.get("survey_started") or {}
        if not data.get("trigger_intent"):
            raise SettingsError(f"{path}: trigger_intent is missing")
        return cls(
            trigger_intent=str(data["trigger_intent"]),
            agent_entity=str(data.get("agent_entity") or "agent_id"),
            actions=frozenset(map(str, started.get("actions") or [])),
            active_loops=frozenset(map(str, started.get("active_loops") or [])),
            intents=frozenset(map(str, started.get("intents") or [])),
        )


@dataclass(frozen=True)
class SchedulerSettings:
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_token: str | None = None
    output_channel: str = "socketio"
    sync_interval_seconds: float = 30.0
    nps_check_interval_seconds: float = 60.0
    # A conversation is idle when the customer has said nothing for this long ...
    nps_idle_minutes: float = 10.0
    # ... and not for longer than this: Rasa starts a new session after 60 minutes of silence (domain.yml),
    # and a survey must land in the conversation it is about (the customer has long left anyway).
    nps_idle_max_minutes: float = 55.0
    # Closed handoff tickets are surveyed within this window after closing.
    handoff_window_minutes: float = 24 * 60.0
    http_timeout_seconds: float = 10.0

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> SchedulerSettings:
        env = os.environ if environ is None else environ

        def number(name: str, default: float) -> float:
            raw = env.get(name)
            if raw is None or raw == "":
                return default
            try:
                value = float(raw)
            except ValueError:
                raise SettingsError(f"{name}={raw!r} is not a number") from None
            if value <= 0:
                raise SettingsError(f"{name}={raw!r} must be positive")
            return value

        settings = cls(
            rasa_url=(env.get("CXQA_RASA_URL") or cls.rasa_url).rstrip("/"),
            rasa_token=_rasa_token(env),
            output_channel=env.get("CXQA_NPS_OUTPUT_CHANNEL") or cls.output_channel,
            sync_interval_seconds=number("CXQA_SYNC_INTERVAL_SECONDS", cls.sync_interval_seconds),
            nps_check_interval_seconds=number("CXQA_NPS_CHECK_INTERVAL_SECONDS", cls.nps_check_interval_seconds),
            nps_idle_minutes=number("CXQA_NPS_IDLE_MINUTES", cls.nps_idle_minutes),
            nps_idle_max_minutes=number("CXQA_NPS_IDLE_MAX_MINUTES", cls.nps_idle_max_minutes),
            handoff_window_minutes=number("CXQA_NPS_HANDOFF_WINDOW_MINUTES", cls.handoff_window_minutes),
        )
        if settings.nps_idle_max_minutes <= settings.nps_idle_minutes:
            raise SettingsError(
                f"CXQA_NPS_IDLE_MAX_MINUTES ({settings.nps_idle_max_minutes:g}) must be more than "
                f"CXQA_NPS_IDLE_MINUTES ({settings.nps_idle_minutes:g})"
            )
        return settings


def _rasa_token(env: Mapping[str, str]) -> str | None:
    """CXQA_RASA_TOKEN, else the token the launcher keeps in var/rasa_api_token (CXQA_RASA_TOKEN_FILE)."""
    try:
        return read_rasa_token(env)
    except RasaTokenError as exc:
        raise SettingsError(str(exc)) from None
