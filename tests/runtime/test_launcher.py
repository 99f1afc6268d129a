"""``python -m bot.launcher``: starts everything, answers, and Ctrl-C leaves no process behind."""

from __future__ import annotations

import subprocess
import sys
import time

import httpx
import pytest

from bot.launcher import LaunchError, LaunchSettings, child_environment, rasa_command
from tests.support.rasa_servers import REPO_ROOT, RuntimeStack, is_alive, model_or_skip


def test_missing_model_is_a_clear_error(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "bot.launcher", "--skip-db-setup"],
        cwd=REPO_ROOT,
        env={"PATH": "/usr/bin:/bin", "CXQA_MODEL": str(tmp_path / "none.tar.gz"), "CXQA_LOG_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "no trained model at" in result.stdout and "make model" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_bad_port_is_a_clear_error():
    with pytest.raises(LaunchError, match="CXQA_RASA_PORT='http' is not a TCP port"):
        LaunchSettings.from_environment({"CXQA_RASA_PORT": "http"})


def test_rasa_runs_on_loopback_with_our_channels_and_endpoints(tmp_path):
    settings = LaunchSettings.from_environment({"CXQA_RASA_PORT": "6101", "CXQA_WEB_PORT": "6102"})
    command = rasa_command(settings)
    assert command[command.index("--interface") + 1] == "127.0.0.1"
    assert command[command.index("--port") + 1] == "6101"
    assert command[command.index("--cors") + 1 :] == ["http://127.0.0.1:6102", "http://localhost:6102"]
    env = child_environment(settings, {"CXQA_TRACKER_URL": "sqlite:///var/t.db"})
    assert env["RASA_TELEMETRY_ENABLED"] == "false"
    assert env["PYTHONPATH"].split(":")[0] == str(REPO_ROOT)  # Rasa imports bot.channels / bot.policies
    assert env["CXQA_TRACKER_URL"] == f"sqlite:///{REPO_ROOT / 'var' / 't.db'}"  # made absolute
    assert env["CXQA_ACTION_ENDPOINT_URL"] == "http://127.0.0.1:5055/webhook"
    assert env["CXQA_LOCK_STORE"] == "in_memory"


@pytest.mark.rasa
def test_launcher_serves_page_and_bot_runs_the_scheduler_and_stops_everything(tmp_path, sender_id):
    """The whole product as `make run` starts it (with a 3-second idle threshold for the NPS trigger)."""
    stack = RuntimeStack(
        tmp_path,
        model_or_skip(),
        env={
            "CXQA_NPS_IDLE_MINUTES": "0.05",
            "CXQA_NPS_CHECK_INTERVAL_SECONDS": "2",
            "CXQA_SYNC_INTERVAL_SECONDS": "2",
        },
    )
    try:
        stack.start()
        output = stack.output()
        assert f"Support page:  {stack.page_url}" in output
        assert f"REST webhook:  {stack.rest_url}" in output
        page = httpx.get(stack.page_url, timeout=10)
        assert page.status_code == 200 and "Support" in page.text
        replies = stack.say(sender_id, "my watch battery drains in a day")
        assert any(reply.get("text") for reply in replies)

        # The scheduler process: the customer goes quiet, the survey is triggered into the conversation ...
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            events = stack.tracker(sender_id)["events"]
            if any(
                e["event"] == "user"
                and (e.get("parse_data") or {}).get("intent", {}).get("name") == "EXTERNAL_nps_survey"
                for e in events
            ):
                break
            time.sleep(1)
        else:
            pytest.fail(f"no NPS trigger within 90 s:\n{stack.diagnostics()}")
        # ... and the sync job copied the conversation into our database.
        from sqlalchemy import select

        from analytics.storage.db import make_engine, make_session_factory
        from analytics.storage.models import Conversation

        engine = make_engine(stack.database_url)
        deadline = time.monotonic() + 30
        conversation = None
        while conversation is None and time.monotonic() < deadline:
            with make_session_factory(engine)() as session:
                conversation = session.scalar(
                    select(Conversation).where(Conversation.external_id.startswith(f"{sender_id}:"))
                )
            time.sleep(1)
        engine.dispose()
        assert conversation is not None and conversation.channel == "web_chat"
    finally:
        processes = stack.processes()
        code = stack.stop()
    assert code == 0, stack.diagnostics()
    assert len(processes) >= 5  # launcher, actions, rasa, web, scheduler
    time.sleep(0.5)
    assert [pid for pid in processes if is_alive(pid)] == []
    assert "all processes stopped" in stack.output()
