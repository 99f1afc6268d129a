"""Scheduler settings and the survey state of recorded conversations (no server needed)."""

from __future__ import annotations

import pytest

from analytics.scheduler.service import JOB_DEFAULTS
from analytics.scheduler.settings import SchedulerSettings, SettingsError, SurveyNames


def test_defaults_follow_the_issue():
    settings = SchedulerSettings.from_environment({})
    assert settings.nps_idle_minutes == 10
    assert settings.output_channel == "socketio"
    assert settings.rasa_url == "http://127.0.0.1:5005"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"CXQA_NPS_IDLE_MINUTES": "ten"}, "CXQA_NPS_IDLE_MINUTES='ten' is not a number"),
        ({"CXQA_SYNC_INTERVAL_SECONDS": "0"}, "must be positive"),
        ({"CXQA_NPS_IDLE_MINUTES": "60"}, "must be more than CXQA_NPS_IDLE_MINUTES"),
    ],
)
def test_bad_settings_are_named(environ, message):
    with pytest.raises(SettingsError, match=message):
        SchedulerSettings.from_environment(environ)


def test_survey_names_match_the_domain():
    import yaml

    from tests.support.rasa_servers import REPO_ROOT

    names = SurveyNames.load()
    domain = yaml.safe_load((REPO_ROOT / "domain.yml").read_text())
    assert names.trigger_intent in domain["intents"]
    assert names.actions <= set(domain["actions"])
    assert names.active_loops <= set(domain["forms"])
    assert names.agent_entity in domain["entities"]


def test_jobs_never_pile_up():
    assert JOB_DEFAULTS == {"coalesce": True, "max_instances": 1, "misfire_grace_time": 60}
