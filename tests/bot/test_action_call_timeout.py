"""bot/action_call_timeout.py: Rasa gives up on an action server that does not answer within the timeout.

Runs in the Rasa virtualenv, against a real socket that accepts connections (the kernel's backlog) and never
answers, as a frozen action server does. The live-stack version (SIGSTOP of the real action server, the
customer's reply) is in tests/runtime/test_supervision.py.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.bot.conftest import REPO_ROOT, rasa_env, require_rasa

pytestmark = pytest.mark.rasa

CHECK = r"""
import asyncio, json, socket, time
import bot.tracker_store  # installs the patches, as when Rasa loads bot/endpoints.yml
from bot.action_call_timeout import ActionCallTimedOut
from rasa.core.actions.action import RemoteAction
from rasa.core.channels import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig

silent = socket.socket()
silent.bind(("127.0.0.1", 0))
silent.listen(8)  # connections complete in the kernel; nobody ever reads or answers
port = silent.getsockname()[1]
domain = Domain.empty()
action = RemoteAction("action_check_warranty_status", EndpointConfig(f"http://127.0.0.1:{port}/webhook"))
started = time.monotonic()
try:
    asyncio.run(action.run(CollectingOutputChannel(), TemplatedNaturalLanguageGenerator({}),
                           DialogueStateTracker("t", []), domain))
    outcome = "answered"
except ActionCallTimedOut as error:
    outcome = str(error)
print(json.dumps({"seconds": time.monotonic() - started, "outcome": outcome}))
"""


def run_check(env: dict[str, str]) -> subprocess.CompletedProcess:
    require_rasa()
    return subprocess.run(
        [str(REPO_ROOT / ".venv-rasa" / "bin" / "python"), "-c", CHECK],
        cwd=REPO_ROOT, env={**rasa_env(), **env}, capture_output=True, text=True, timeout=300,
    )


def test_a_silent_action_server_is_given_up_after_the_timeout():
    result = run_check({"CXQA_ACTION_TIMEOUT_SECONDS": "1.5"})
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert "no answer from the action server" in out["outcome"] and "within 1.5 s" in out["outcome"]
    assert 1.4 < out["seconds"] < 4, out  # Rasa's own timeout is 300 s


def test_a_bad_timeout_setting_is_a_clear_error():
    result = run_check({"CXQA_ACTION_TIMEOUT_SECONDS": "soon"})
    assert result.returncode != 0
    assert "CXQA_ACTION_TIMEOUT_SECONDS='soon' is not a number of seconds" in result.stderr
