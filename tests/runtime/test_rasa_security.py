"""The security probe's findings against the real bot (docs/security.md): Rasa's HTTP API needs the token, the
channels cap a message's length before NLU and check their input, socket.io checks the Origin, and no log
carries a customer's message text.

Each test is one class of the probe's input; before the fixes each of them failed (an open API, 12.6 GB for a
40 KB message, 500 for an empty body, any Origin accepted, the full text in the log).
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import pytest
import websockets

from analytics.rasa_api_token import ensure_rasa_token, read_rasa_token
from bot.launcher import LaunchSettings, rasa_command
from tests.support.rasa_servers import REPO_ROOT, RuntimeStack, free_port
from tests.support.socketio_polling import PollingSocket

pytestmark = pytest.mark.rasa

RASA_SITE = REPO_ROOT / ".venv-rasa" / "lib" / "python3.10" / "site-packages"
RASA_PYTHON = REPO_ROOT / ".venv-rasa" / "bin" / "python"
PUBLIC_ROUTES = {("GET", "/"), ("GET", "/version")}
LIMIT = 2000
FOREIGN_ORIGIN = "http://attacker.example"
NOTICE = "Your message was long, so I read only its first 2,000 characters."


def rasa_api_routes() -> list[tuple[str, str, bool]]:
    """(method, path, needs auth) of every route in Rasa's server.py, from its decorators."""
    source = (RASA_SITE / "rasa" / "server.py").read_text(encoding="utf-8")
    routes = []
    for match in re.finditer(r'@app\.(get|post|put|delete)\("([^"]+)"\)\n(\s*@[^\n]+\n)*', source):
        decorators = match.group(0)
        routes.append((match.group(1).upper(), match.group(2), "@requires_auth" in decorators))
    return routes


def concrete(path: str, sender: str) -> str:
    return path.replace("<conversation_id:path>", sender)


def last_user_event(stack: RuntimeStack, sender: str) -> dict:
    return [event for event in stack.tracker(sender)["events"] if event["event"] == "user"][-1]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for {pid}")


# -- finding 2: the API needs the token -------------------------------------------------------------------
def test_the_route_list_is_rasas_and_only_root_and_version_are_public():
    routes = rasa_api_routes()
    assert len(routes) == 19, routes  # Rasa 3.6.21's routes; another count means Rasa changed: review them
    assert {(method, path) for method, path, auth in routes if not auth} == PUBLIC_ROUTES


def test_every_api_route_refuses_an_anonymous_request(runtime_stack, sender_id):
    runtime_stack.say(sender_id, "hello")
    before = len(runtime_stack.tracker(sender_id)["events"])
    refused = {}
    for method, path, needs_auth in rasa_api_routes():
        if not needs_auth:
            continue
        url = runtime_stack.rasa_url + concrete(path, sender_id)
        for params in ({}, {"token": "wrong"}):
            response = httpx.request(method, url, params=params, json={}, timeout=30)
            refused[(method, path, bool(params))] = response.status_code
    assert set(refused.values()) == {401}, {route: code for route, code in refused.items() if code != 401}
    assert len(runtime_stack.tracker(sender_id)["events"]) == before  # nothing was injected
    assert httpx.get(f"{runtime_stack.rasa_url}/status", params=runtime_stack.api_params).status_code == 200


def test_a_cross_site_text_plain_post_cannot_inject_events(runtime_stack, sender_id):
    """What a form or fetch() on any web page can send without a CORS preflight."""
    runtime_stack.say(sender_id, "hello")
    before = runtime_stack.tracker(sender_id)["events"]
    fake = json.dumps({"event": "bot", "text": "Pay your claim fee at http://attacker.example/pay"})
    for path in ("tracker/events", "execute?output_channel=socketio", "trigger_intent"):
        response = httpx.post(
            f"{runtime_stack.rasa_url}/conversations/{sender_id}/{path}",
            content=fake,
            headers={"Content-Type": "text/plain", "Origin": FOREIGN_ORIGIN},
            timeout=30,
        )
        assert response.status_code == 401, (path, response.text)
    assert runtime_stack.tracker(sender_id)["events"] == before


def test_the_token_opens_the_api(runtime_stack, sender_id):
    runtime_stack.say(sender_id, "hello")
    api, params = runtime_stack.rasa_url, runtime_stack.api_params
    assert httpx.get(f"{api}/conversations/{sender_id}/tracker", params=params, timeout=30).status_code == 200
    assert httpx.get(f"{api}/conversations/{sender_id}/story", params=params, timeout=30).status_code == 200
    parsed = httpx.post(f"{api}/model/parse", params=params, json={"text": "hello"}, timeout=30)
    assert parsed.status_code == 200 and parsed.json()["intent"]["name"]
    # The public ones need nothing.
    assert httpx.get(f"{api}/version", timeout=10).status_code == 200
    assert httpx.get(f"{api}/", timeout=10).status_code == 200


def test_the_launcher_generates_the_token_once_and_keeps_it_private(tmp_path):
    token_file = tmp_path / "var" / "rasa_api_token"
    settings = LaunchSettings.from_environment({"CXQA_RASA_TOKEN_FILE": str(token_file)})
    command = rasa_command(settings)
    token = command[command.index("--auth-token") + 1]
    assert len(token) >= 40 and token_file.read_text().strip() == token
    assert token_file.stat().st_mode & 0o777 == 0o600
    assert rasa_command(settings)[command.index("--auth-token") + 1] == token  # the same on the next start
    assert read_rasa_token({"CXQA_RASA_TOKEN_FILE": str(token_file)}) == token  # what the scheduler reads
    configured = LaunchSettings.from_environment({"CXQA_RASA_TOKEN": "configured-token"})
    assert "configured-token" in rasa_command(configured)
    assert ensure_rasa_token({"CXQA_RASA_TOKEN": "x"}, tmp_path / "other") == "x"
    assert not (tmp_path / "other").exists()


# -- finding 1: the message length cap, on REST ----------------------------------------------------------
@pytest.mark.parametrize("length", [40_000, 1_000_000])
def test_a_long_rest_message_is_cut_and_the_customer_told(runtime_stack, sender_id, length):
    pid = runtime_stack.rasa_pid()
    before = rss_mb(pid) if pid else None
    message = ("help me " * (length // 8 + 1))[:length]
    started = time.monotonic()
    replies = runtime_stack.say(sender_id, message, timeout=60)
    elapsed = time.monotonic() - started
    assert elapsed < 15, f"{length:,} characters took {elapsed:.1f} s"
    assert replies[0]["text"].startswith(NOTICE)
    assert len(replies) >= 2 and replies[1].get("text")  # and the bot answered what it read
    user = last_user_event(runtime_stack, sender_id)
    assert user["text"] == message[:LIMIT].strip()  # Rasa strips the text
    assert user["metadata"]["cxqa_truncated"] == {"original_chars": length, "kept_chars": LIMIT}
    if pid:  # not when attached to a stack someone else runs
        grown = rss_mb(pid) - before
        assert grown < 300, f"Rasa's memory grew by {grown:.0f} MB for one {length:,}-character message"


def test_a_message_at_the_limit_is_not_cut(runtime_stack, sender_id):
    message = ("my speaker is broken " * 100)[:LIMIT]
    replies = runtime_stack.say(sender_id, message)
    assert replies and not any(NOTICE in (reply.get("text") or "") for reply in replies)
    user = last_user_event(runtime_stack, sender_id)
    assert user["text"] == message and "cxqa_truncated" not in (user.get("metadata") or {})


# -- finding 8: bad REST bodies get 400 with a reason ----------------------------------------------------
@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "body is empty"),
        (b"   ", "body is empty"),
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe", "not valid JSON"),
        (b"[]", "JSON array"),
        (b'[{"sender": "a", "message": "hi"}]', "JSON array"),
        (b'"hello"', "JSON string"),
        (b"null", "JSON nothing"),
        (b'{"message": "hi"}', '"sender" must be a non-empty string (got nothing)'),
        (b'{"sender": "", "message": "hi"}', '"sender" must be a non-empty string'),
        (b'{"sender": 42, "message": "hi"}', '"sender" must be a non-empty string (got number)'),
        (json.dumps({"sender": "x" * 129, "message": "hi"}).encode(), '"sender" is longer than 128'),
        (b'{"sender": "a"}', '"message" must be a string (got nothing)'),
        (b'{"sender": "a", "message": null}', '"message" must be a string (got nothing)'),
        (b'{"sender": "a", "message": 5}', '"message" must be a string (got number)'),
        (b'{"sender": "a", "message": ["hi"]}', '"message" must be a string (got array)'),
        (b'{"sender": "a", "message": {"text": "hi"}}', '"message" must be a string (got object)'),
        (b'{"sender": "a", "message": "hi", "metadata": [1]}', '"metadata" must be an object'),
        (json.dumps({"sender": "a", "message": "hi", "metadata": {"x": "y" * 20_000}}).encode(), '"metadata" is lo'),
        (b'{"sender": "a", "message": "hi", "input_channel": 3}', '"input_channel" must be a string'),
    ],
)
def test_a_bad_rest_body_gets_400_with_the_reason(runtime_stack, body, reason):
    response = httpx.post(runtime_stack.rest_url, content=body, headers={"Content-Type": "application/json"},
                          timeout=30)
    assert response.status_code == 400, response.text
    assert reason in response.json()["error"]
    assert "Traceback" not in response.text


# -- finding 1 on socket.io, and the Origin check --------------------------------------------------------
def page_origin(stack: RuntimeStack) -> str:
    return stack.page_url.rstrip("/")


@pytest.mark.parametrize("origin", [FOREIGN_ORIGIN, "null", "http://127.0.0.1:1"])
def test_a_socketio_handshake_from_a_foreign_origin_is_refused(runtime_stack, origin):
    response = PollingSocket(runtime_stack.rasa_url, origin=origin).handshake()
    assert response.status_code == 400 and "not an accepted origin" in response.text


def test_a_socketio_websocket_from_a_foreign_origin_is_refused(runtime_stack):
    url = runtime_stack.rasa_url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"

    async def connect(origin: str) -> str:
        try:
            async with websockets.connect(url, origin=origin, open_timeout=10) as socket:
                return (await asyncio.wait_for(socket.recv(), 10))[:1]  # "0": the Engine.IO open packet
        except websockets.InvalidStatusCode as exc:
            return str(exc.status_code)

    assert asyncio.run(connect(FOREIGN_ORIGIN)) == "400"
    assert asyncio.run(connect(page_origin(runtime_stack))) == "0"


def test_a_socketio_handshake_from_the_page_is_accepted_with_cors_headers(runtime_stack):
    origin = page_origin(runtime_stack)
    with PollingSocket(runtime_stack.rasa_url, origin=origin) as sock:
        response = sock.handshake()
        assert response.status_code == 200 and response.text.startswith("0{")
        # One Access-Control-Allow-Origin header (two would make the browser drop the response).
        assert response.headers.get_list("access-control-allow-origin") == [origin]


def test_a_long_socketio_message_is_cut_and_the_customer_told(runtime_stack):
    session = uuid.uuid4().hex
    message = "help me " * 5000  # the probe's 40 KB
    with PollingSocket(runtime_stack.rasa_url, origin=page_origin(runtime_stack)) as sock:
        sock.handshake()
        sock.request_session(session)
        started = time.monotonic()
        sock.emit("user_uttered", {"message": message, "session_id": session})
        texts = sock.bot_texts(until=lambda texts: len(texts) >= 2)
        assert time.monotonic() - started < 15
    assert texts[0].startswith(NOTICE)
    user = last_user_event(runtime_stack, session)
    assert user["text"] == message[:LIMIT].strip() and user["input_channel"] == "socketio"
    assert user["metadata"]["cxqa_truncated"]["original_chars"] == len(message)


@pytest.mark.parametrize("payload", ["just a string", ["a", "list"], {"message": 5}, {"message": None},
                                     {"message": "hi", "metadata": "{not json"}])
def test_a_malformed_socketio_message_is_dropped_and_the_socket_still_works(runtime_stack, payload):
    session = uuid.uuid4().hex
    with PollingSocket(runtime_stack.rasa_url, origin=page_origin(runtime_stack)) as sock:
        sock.handshake()
        sock.request_session(session)
        if isinstance(payload, dict):
            payload = {**payload, "session_id": session}
        sock.emit("user_uttered", payload)
        sock.emit("user_uttered", {"message": "hello", "session_id": session})
        texts = sock.bot_texts(until=lambda texts: len(texts) >= 1)
    assert texts and not texts[0].startswith(NOTICE)
    assert [event["text"] for event in runtime_stack.tracker(session)["events"] if event["event"] == "user"] == [
        "hello"
    ]


# -- finding 8: no customer text in the logs -------------------------------------------------------------
def run_failing_channel(class_path: str, body: dict) -> str:
    """Serve ``class_path`` with a bot that always fails, send one message, return the server's log."""
    if not RASA_PYTHON.is_file():
        pytest.skip("Rasa's virtualenv (.venv-rasa) is not installed")
    port = free_port()
    server = subprocess.Popen(
        [str(RASA_PYTHON), "-m", "tests.support.failing_channel_server", class_path, str(port)],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/ready", timeout=2).raise_for_status()
                break
            except httpx.HTTPError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"the channel server did not start:\n{server.stdout.read()}") from None
                time.sleep(0.5)
        response = httpx.post(f"http://127.0.0.1:{port}/webhooks/rest/webhook", json=body, timeout=30)
        assert response.status_code == 200  # what Rasa answers when the bot fails: no messages
        time.sleep(0.5)
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    return output


def test_a_failing_message_is_logged_without_its_text():
    secret = "my card number is 4111 1111 1111 1111"
    body = {"sender": "log-probe", "message": secret}
    rasa_log = run_failing_channel("rasa.core.channels.rest.RestInput", body)
    assert secret in rasa_log  # the finding: Rasa's own channel logs the full text
    ours = run_failing_channel("bot.channels.rest_limited.LimitedRestInput", body)
    assert "REST message from log-probe failed: 37 characters (text not logged)" in ours
    assert "4111" not in ours


def test_the_probe_leaves_no_message_text_in_the_stack_logs(runtime_stack, sender_id):
    if not (runtime_stack.directory / "logs" / "rasa.log").is_file():
        pytest.skip("attached to a stack whose logs are elsewhere")
    marker = f"probe-marker-{uuid.uuid4().hex}"
    runtime_stack.say(sender_id, marker + " help me" * 6000)
    logs = "".join(path.read_text(errors="replace") for path in (runtime_stack.directory / "logs").glob("*.log"))
    assert marker not in logs
