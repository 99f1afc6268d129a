"""bot/remote_action_validation.py: Rasa's check of the action server's replies, with a validator built once.

Runs in the Rasa virtualenv: importing ``bot.tracker_store`` (as Rasa does from bot/endpoints.yml) installs
the patch; every reply must be accepted or rejected exactly as ``jsonschema.validate`` does, with the same
error message, and the check must be much cheaper than Rasa's own.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.bot.conftest import REPO_ROOT, rasa_env, require_rasa

pytestmark = pytest.mark.rasa

CHECK = r"""
import json, sys, time
import jsonschema
import bot.tracker_store  # installs the patch, as when Rasa loads bot/endpoints.yml
from rasa.core.actions.action import RemoteAction
from bot.remote_action_validation import validate_action_result

replies = json.loads(sys.argv[1])
action = RemoteAction("action_check_warranty_status", None)
out = {"patched": RemoteAction._validate_action_result is validate_action_result, "results": []}
for reply in replies:
    try:
        jsonschema.validate(reply, RemoteAction.action_response_format_spec())
        expected = None
    except jsonschema.ValidationError as error:
        expected = error.message
    try:
        got = action._validate_action_result(reply) and None
    except jsonschema.ValidationError as error:
        got = error.message
    out["results"].append([expected, got])
started = time.perf_counter()
for _ in range(50):
    action._validate_action_result(replies[0])
out["patched_ms"] = (time.perf_counter() - started) * 1000 / 50
started = time.perf_counter()
for _ in range(10):
    jsonschema.validate(replies[0], RemoteAction.action_response_format_spec())
out["rasa_ms"] = (time.perf_counter() - started) * 1000 / 10
print(json.dumps(out))
"""

REPLIES = [
    {"events": [{"event": "slot", "name": "warranty_reference", "value": "AS26000101", "timestamp": None}],
     "responses": [{"text": "Your Aura Speaker is covered until 15 June 2028.", "buttons": []}]},
    {"events": [{"event": "active_loop", "name": None}, {"event": "slot", "name": "requested_slot", "value": None}],
     "responses": []},
    {"events": [], "responses": []},
    {"events": [{"event": "nonsense"}], "responses": []},
    {"events": [{"event": "slot", "name": 5, "value": "x"}]},
    {"events": "not a list"},
    {"responses": [{"text": 42}], "events": [{"event": "followup", "name": "action_listen"}]},
]


def test_patched_check_matches_rasa_and_is_cheap():
    require_rasa()
    result = subprocess.run(
        [str(REPO_ROOT / ".venv-rasa" / "bin" / "python"), "-c", CHECK, json.dumps(REPLIES)],
        cwd=REPO_ROOT, env=rasa_env(), capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["patched"] is True
    suffix = ". Failed to validate Action server response from API"
    for (expected, got), reply in zip(out["results"], REPLIES, strict=True):
        if expected is None:
            assert got is None, (reply, got)
        else:
            assert got is not None and got.startswith(expected + suffix), (reply, expected, got)
    assert [expected is None for expected, _ in out["results"]] == [True, True, True, False, False, False, True]
    assert out["patched_ms"] * 10 < out["rasa_ms"], out
