"""Start the real bot for tests: ``RuntimeStack`` runs ``python -m bot.launcher`` on free ports.

Usable from any test package (``from tests.support.rasa_servers import RuntimeStack, model_or_skip``):

    stack = RuntimeStack(tmp_path, model_or_skip(), scheduler=False, web=False)
    stack.start()                       # ~30 s: Rasa loads TensorFlow and the model
    stack.say("tester-1", "hello")      # REST channel -> list of bot messages
    stack.tracker("tester-1")           # Rasa's tracker JSON (its HTTP API, with the stack's token)
    stack.stop()                        # SIGINT, as Ctrl-C; returns the launcher's exit code

A Rasa server takes ~30 s and 1.2 GB: share one per test session (a session-scoped fixture, see
tests/runtime/conftest.py). Every stack has its own SQLite databases (ours and the tracker) under its
directory unless ``database_url``/``tracker_url`` say otherwise, and its own logs in ``<dir>/logs``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.ci import skip_or_fail_in_ci

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MODEL = REPO_ROOT / "models" / "cxqa.tar.gz"
READY_MARKER = "[cxqa] ready"


def model_path() -> Path | None:
    """The model the tests run: CXQA_TEST_MODEL, else models/cxqa.tar.gz (``make model``); None if absent."""
    chosen = Path(os.environ.get("CXQA_TEST_MODEL") or DEFAULT_MODEL)
    return chosen if chosen.is_file() else None


def model_or_skip() -> Path:
    """The model, or skip the test (fail under CI, where `make test` trains it first)."""
    found = model_path()
    if found is None:
        skip_or_fail_in_ci(f"no trained model at {DEFAULT_MODEL} (run `make model`, or set CXQA_TEST_MODEL)")
    return found


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def process_tree(root_pid: int) -> set[int]:
    """``root_pid`` and all its descendants, from /proc (no psutil needed)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name (field 2) may contain spaces and parentheses: split after its last ")".
        fields = stat[stat.rfind(")") + 2 :].split()
        children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, pending = set(), [root_pid]
    while pending:
        pid = pending.pop()
        if pid in found:
            continue
        found.add(pid)
        pending.extend(children.get(pid, []))
    return found


def is_alive(pid: int) -> bool:
    """Running (zombies, which only wait for their parent to reap them, count as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rfind(")") + 2 :].split()[0] != "Z"


class RuntimeStack:
    """The launcher with its children (actions, Rasa, page, scheduler) on free loopback ports."""

    def __init__(
        self,
        directory: Path,
        model: Path,
        *,
        web: bool = True,
        scheduler: bool = True,
        actions: bool = True,
        database_url: str | None = None,
        tracker_url: str | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.model = model
        self.flags = [
            *([] if web else ["--no-web"]),
            *([] if scheduler else ["--no-scheduler"]),
            *([] if actions else ["--no-actions"]),
        ]
        self.rasa_port, self.action_port, self.web_port = free_port(), free_port(), free_port()
        self.database_url = database_url or f"sqlite:///{self.directory / 'cxqa.db'}"
        self.tracker_url = tracker_url or f"sqlite:///{self.directory / 'rasa_tracker.db'}"
        self.env = {
            **os.environ,
            "CXQA_MODEL": str(model),
            "CXQA_RASA_PORT": str(self.rasa_port),
            "CXQA_ACTION_PORT": str(self.action_port),
            "CXQA_WEB_PORT": str(self.web_port),
            "CXQA_LOG_DIR": str(self.directory / "logs"),
            "CXQA_DATABASE_URL": self.database_url,
            "CXQA_TRACKER_URL": self.tracker_url,
            # Rasa's API token (a stack of its own never touches var/rasa_api_token).
            "CXQA_RASA_TOKEN": secrets.token_urlsafe(24),
            **(env or {}),
        }
        self.token = self.env["CXQA_RASA_TOKEN"]
        self.output_path = self.directory / "launcher.out"
        self.process: subprocess.Popen | None = None

    @classmethod
    def attached(cls, directory: Path, spec: str) -> RuntimeStack:
        """A stack someone already runs (to iterate on tests without restarting Rasa):
        ``spec`` = "RASA_PORT,WEB_PORT,TRACKER_URL,DATABASE_URL" (CXQA_TEST_ATTACH)."""
        rasa_port, web_port, tracker_url, database_url = spec.split(",", 3)
        stack = cls(directory, Path("attached"), tracker_url=tracker_url, database_url=database_url)
        stack.rasa_port, stack.web_port = int(rasa_port), int(web_port)
        from analytics.rasa_api_token import read_rasa_token

        stack.token = read_rasa_token() or ""
        return stack

    # -- URLs --------------------------------------------------------------------------------------------
    @property
    def rasa_url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def rest_url(self) -> str:
        return f"{self.rasa_url}/webhooks/rest/webhook"

    @property
    def page_url(self) -> str:
        return f"http://127.0.0.1:{self.web_port}/"

    # -- life cycle --------------------------------------------------------------------------------------
    def start(self, timeout: float = 420.0) -> RuntimeStack:
        with open(self.output_path, "wb") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bot.launcher", *self.flags],
                cwd=REPO_ROOT,
                env=self.env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while READY_MARKER not in self.output():
            if self.process.poll() is not None:
                raise RuntimeError(f"the launcher exited with {self.process.returncode}:\n{self.diagnostics()}")
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the launcher was not ready after {timeout:.0f} s:\n{self.diagnostics()}")
            time.sleep(0.5)
        return self

    def output(self) -> str:
        return self.output_path.read_text(errors="replace") if self.output_path.exists() else ""

    def diagnostics(self, lines: int = 40) -> str:
        parts = [self.output()]
        for log in sorted((self.directory / "logs").glob("*.log")):
            tail = "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
            parts.append(f"--- {log.name} ---\n{tail}")
        return "\n".join(parts)

    def processes(self) -> set[int]:
        return process_tree(self.process.pid) if self.process else set()

    def rasa_pid(self) -> int | None:
        """The pid of the `rasa run` process under the launcher (for memory readings), else None."""
        for pid in self.processes():
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if any(part.endswith(b"/rasa") for part in command) and b"run" in command:
                return pid
        return None

    def stop(self, timeout: float = 60.0) -> int | None:
        """Ctrl-C the launcher and wait for it; returns its exit code."""
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self.process.send_signal(signal.SIGINT)
        try:
            return self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            for pid in self.processes():  # only what this stack started
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self.process.wait(timeout=10)
            raise

    def __enter__(self) -> RuntimeStack:
        return self.start()

    def __exit__(self, *_exc: Any) -> None:
        self.stop()

    # -- talking to the bot ------------------------------------------------------------------------------
    def say(self, sender: str, message: str, timeout: float = 60.0) -> list[dict]:
        response = httpx.post(self.rest_url, json={"sender": sender, "message": message}, timeout=timeout)
        response.raise_for_status()
        return response.json()

    @property
    def api_params(self) -> dict[str, str]:
        """Query parameters of every call to Rasa's HTTP API: the token."""
        return {"token": self.token}

    def tracker(self, sender: str) -> dict:
        response = httpx.get(f"{self.rasa_url}/conversations/{sender}/tracker", params=self.api_params, timeout=30)
        response.raise_for_status()
        return response.json()

    def domain_intents(self) -> list[str]:
        """The intents of the loaded model's domain."""
        response = httpx.get(
            f"{self.rasa_url}/domain", params=self.api_params, headers={"Accept": "application/json"}, timeout=30
        )
        response.raise_for_status()
        return [next(iter(intent)) if isinstance(intent, dict) else intent for intent in response.json()["intents"]]


@contextlib.contextmanager
def started(stack: RuntimeStack):
    """Run ``stack`` for a fixture: a start that fails fails the test with the reason; it always stops."""
    try:
        stack.start()
    except RuntimeError as exc:
        pytest.fail(f"the bot did not start: {exc}")
    try:
        yield stack
    finally:
        stack.stop()
