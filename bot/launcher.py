"""Start the whole bot touchpoint: ``python -m bot.launcher`` (what ``make run`` runs after install and train).

1. ``cxqa db upgrade`` and, when that command exists, ``cxqa seed-knowledge`` (products, registry);
2. the loopback action server, the Rasa server (REST + socket.io channels, SQL tracker store), the support
   page and the scheduler (tracker sync, NPS triggers), each in its own process group;
3. waits until each answers, prints the URLs, and on Ctrl-C (SIGINT) or SIGTERM stops every process it
   started: SIGTERM to each group, SIGKILL to what is left after a grace period. If one of them dies, the
   launcher stops the others and exits non-zero.

Settings come from environment variables (defaults in ``LaunchSettings.from_environment``); every server
listens on 127.0.0.1 unless told otherwise. Logs of the children go to var/logs/ (``CXQA_LOG_DIR``).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
EXIT_MISCONFIGURED = 2
EXIT_CHILD_FAILED = 1


class LaunchError(RuntimeError):
    """Something the user must fix before the bot can start; the message says what."""


@dataclass(frozen=True)
class LaunchSettings:
    web_host: str = "127.0.0.1"
    web_port: int = 8000
    rasa_host: str = "127.0.0.1"
    rasa_port: int = 5005
    action_host: str = "127.0.0.1"
    action_port: int = 5055
    model: Path = REPO_ROOT / "models" / "cxqa.tar.gz"
    rasa_bin: Path = REPO_ROOT / ".venv-rasa" / "bin" / "rasa"
    log_dir: Path = REPO_ROOT / "var" / "logs"
    # What the browser uses to reach Rasa, when that differs from http://rasa_host:rasa_port (a proxy).
    rasa_public_url: str = ""
    start_timeout_seconds: float = 240.0
    stop_grace_seconds: float = 15.0
    with_web: bool = True
    with_scheduler: bool = True
    with_actions: bool = True
    setup_database: bool = True

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> LaunchSettings:
        env = os.environ if environ is None else environ

        def port(name: str, default: int) -> int:
            raw = env.get(name, str(default))
            if not raw.isdigit() or not 0 < int(raw) < 65536:
                raise LaunchError(f"{name}={raw!r} is not a TCP port number")
            return int(raw)

        def path(name: str, default: Path) -> Path:
            raw = env.get(name)
            return (REPO_ROOT / raw).resolve() if raw else default

        return cls(
            web_host=env.get("CXQA_WEB_HOST", "127.0.0.1"),
            web_port=port("CXQA_WEB_PORT", 8000),
            rasa_host=env.get("CXQA_RASA_HOST", "127.0.0.1"),
            rasa_port=port("CXQA_RASA_PORT", 5005),
            action_host=env.get("CXQA_ACTION_HOST", "127.0.0.1"),
            action_port=port("CXQA_ACTION_PORT", 5055),
            model=path("CXQA_MODEL", cls.model),
            rasa_bin=path("CXQA_RASA_BIN", cls.rasa_bin),
            log_dir=path("CXQA_LOG_DIR", cls.log_dir),
            rasa_public_url=env.get("CXQA_RASA_PUBLIC_URL", ""),
            start_timeout_seconds=float(env.get("CXQA_START_TIMEOUT", cls.start_timeout_seconds)),
        )

    @property
    def rasa_url(self) -> str:
        return f"http://{_url_host(self.rasa_host)}:{self.rasa_port}"

    @property
    def page_url(self) -> str:
        return f"http://{_url_host(self.web_host)}:{self.web_port}/"

    @property
    def rest_webhook_url(self) -> str:
        return f"{self.rasa_url}/webhooks/rest/webhook"

    @property
    def action_url(self) -> str:
        return f"http://{_url_host(self.action_host)}:{self.action_port}"

    def page_origins(self) -> list[str]:
        """Origins allowed to call Rasa from a browser (CORS): the support page, by IP and by name."""
        origins = [self.page_url.rstrip("/")]
        if self.web_host in ("127.0.0.1", "localhost"):
            origins = [f"http://127.0.0.1:{self.web_port}", f"http://localhost:{self.web_port}"]
        return origins


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def child_environment(settings: LaunchSettings, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of every child: our settings, the values bot/endpoints.yml substitutes, quiet Rasa."""
    from analytics.sync.tracker_db import tracker_url_for_rasa

    env = dict(os.environ if base is None else base)
    python_path = [str(REPO_ROOT), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env.update(
        {
            "PYTHONPATH": os.pathsep.join(python_path),
            "RASA_TELEMETRY_ENABLED": "false",
            "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "TF_CPP_MIN_LOG_LEVEL": "2",
            "PYTHONUNBUFFERED": "1",
            "CXQA_WEB_HOST": settings.web_host,
            "CXQA_WEB_PORT": str(settings.web_port),
            "CXQA_RASA_HOST": settings.rasa_host,
            "CXQA_RASA_PORT": str(settings.rasa_port),
            "CXQA_RASA_URL": settings.rasa_url,
            "CXQA_RASA_PUBLIC_URL": settings.rasa_public_url or settings.rasa_url,
            "CXQA_ACTION_HOST": settings.action_host,
            "CXQA_ACTION_PORT": str(settings.action_port),
            "CXQA_ACTION_ENDPOINT_URL": f"{settings.action_url}/webhook",
            "CXQA_TRACKER_URL": tracker_url_for_rasa(env.get("CXQA_TRACKER_URL")),
        }
    )
    env.setdefault("CXQA_LOCK_STORE", "in_memory")
    env.setdefault("CXQA_REDIS_HOST", "127.0.0.1")
    env.setdefault("CXQA_REDIS_PORT", "6379")
    env.setdefault("CXQA_REDIS_DB", "1")
    return env


def rasa_command(settings: LaunchSettings) -> list[str]:
    command = [
        str(settings.rasa_bin), "run",
        "--enable-api",
        "--interface", settings.rasa_host,
        "--port", str(settings.rasa_port),
        "--credentials", str(REPO_ROOT / "bot" / "credentials.yml"),
        "--endpoints", str(REPO_ROOT / "bot" / "endpoints.yml"),
        "--model", str(settings.model),
        "--cors", *settings.page_origins(),
    ]  # fmt: skip
    token = os.environ.get("CXQA_RASA_TOKEN")
    if token:
        command += ["--auth-token", token]
    return command


@dataclass
class Child:
    name: str
    command: list[str]
    ready_url: str
    is_ready: Callable[[bytes], bool] = field(default=lambda _body: True)
    process: subprocess.Popen | None = None
    log_path: Path | None = None


def planned_children(settings: LaunchSettings) -> list[Child]:
    python = sys.executable
    children = []
    if settings.with_actions:
        children.append(Child("actions", [python, "-m", "bot.action_server"], f"{settings.action_url}/health"))
    children.append(
        Child("rasa", rasa_command(settings), f"{settings.rasa_url}/status", lambda body: b"model_id" in body)
    )
    if settings.with_web:
        children.append(Child("web", [python, "-m", "bot.web.server"], f"{settings.page_url}healthz"))
    if settings.with_scheduler:
        children.append(Child("scheduler", [python, "-m", "analytics.cli", "scheduler"], ""))
    return children


def check_prerequisites(settings: LaunchSettings) -> None:
    if not settings.model.is_file():
        raise LaunchError(
            f"no trained model at {settings.model}: run `make run` (it trains first) or `make model`, "
            "or point CXQA_MODEL at a model archive"
        )
    if not settings.rasa_bin.is_file():
        raise LaunchError(f"Rasa is not installed at {settings.rasa_bin}: run `make install` (or set CXQA_RASA_BIN)")
    if settings.with_web and not (REPO_ROOT / "node_modules" / "rasa-webchat" / "lib" / "index.js").is_file():
        raise LaunchError("the chat widget is not installed: run `npm ci` (or `make install`)")
    wanted = [("CXQA_RASA_PORT", settings.rasa_host, settings.rasa_port)]
    if settings.with_actions:
        wanted.append(("CXQA_ACTION_PORT", settings.action_host, settings.action_port))
    if settings.with_web:
        wanted.append(("CXQA_WEB_PORT", settings.web_host, settings.web_port))
    for variable, host, port in wanted:
        if not _port_is_free(host, port):
            raise LaunchError(f"{host}:{port} is already in use (another `make run`?): stop it or set {variable}")


def _port_is_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


class Supervisor:
    """Starts children in their own process groups and stops them all, whatever happens."""

    def __init__(self, settings: LaunchSettings, env: dict[str, str]) -> None:
        self.settings = settings
        self.env = env
        self.children: list[Child] = []
        self.stop_requested = False

    def request_stop(self, signum: int, _frame) -> None:
        self.stop_requested = True

    def run_step(self, description: str, command: list[str]) -> None:
        """A set-up command that must succeed before the servers start."""
        say(f"{description}…")
        result = subprocess.run(command, cwd=REPO_ROOT, env=self.env, capture_output=True, text=True)
        if result.returncode != 0:
            raise LaunchError(f"{description} failed:\n{(result.stdout + result.stderr).strip()[-2000:]}")

    def start(self, child: Child) -> None:
        self.settings.log_dir.mkdir(parents=True, exist_ok=True)
        child.log_path = self.settings.log_dir / f"{child.name}.log"
        with open(child.log_path, "ab") as log:
            child.process = subprocess.Popen(
                child.command,
                cwd=REPO_ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: we stop it, and all it spawned, as one
            )
        self.children.append(child)
        say(f"started {child.name} (pid {child.process.pid}, log {child.log_path})")

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + self.settings.start_timeout_seconds
        pending = [child for child in self.children if child.ready_url]
        while pending:
            self.raise_if_a_child_died()
            if self.stop_requested:
                return
            if time.monotonic() > deadline:
                names = ", ".join(child.name for child in pending)
                raise LaunchError(f"not ready after {self.settings.start_timeout_seconds:.0f} s: {names}")
            pending = [child for child in pending if not _answers(child)]
            if pending:
                time.sleep(0.5)

    def raise_if_a_child_died(self) -> None:
        for child in self.children:
            code = child.process.poll() if child.process else None
            if code is not None:
                raise ChildDied(child, code)

    def stop_all(self) -> None:
        """SIGTERM every group (newest first), wait, then SIGKILL what is left."""
        running = [child for child in reversed(self.children) if child.process and child.process.poll() is None]
        for child in running:
            _signal_group(child.process, signal.SIGTERM)
        deadline = time.monotonic() + self.settings.stop_grace_seconds
        for child in running:
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                say(f"{child.name} did not stop in {self.settings.stop_grace_seconds:.0f} s: killing it")
        for child in self.children:
            # Also reaps what a child left behind in its group (a stopped parent's helpers).
            _signal_group(child.process, signal.SIGKILL)
            if child.process:
                try:
                    child.process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    say(f"{child.name} (pid {child.process.pid}) could not be stopped")


class ChildDied(RuntimeError):
    def __init__(self, child: Child, code: int) -> None:
        super().__init__(f"{child.name} exited with code {code}")
        self.child = child
        self.code = code


def _answers(child: Child) -> bool:
    try:
        with urllib.request.urlopen(child.ready_url, timeout=2) as response:  # noqa: S310 (our own URL)
            return response.status == 200 and child.is_ready(response.read())
    except (urllib.error.URLError, OSError, ValueError):
        return False


def _signal_group(process: subprocess.Popen | None, signum: int) -> None:
    if process is None:
        return
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signum)


def say(message: str) -> None:
    print(f"[cxqa] {message}", flush=True)


def log_tail(path: Path | None, lines: int = 25) -> str:
    if path is None or not path.is_file():
        return ""
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Start the cxqa bot: actions, Rasa, support page, scheduler.")
    parser.add_argument("--no-web", action="store_true", help="do not serve the support page")
    parser.add_argument("--no-scheduler", action="store_true", help="no tracker sync / NPS trigger jobs")
    parser.add_argument("--no-actions", action="store_true", help="the action server runs elsewhere")
    parser.add_argument("--skip-db-setup", action="store_true", help="no `cxqa db upgrade` / seed-knowledge")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        base = LaunchSettings.from_environment()
    except LaunchError as exc:
        say(f"error: {exc}")
        return EXIT_MISCONFIGURED
    settings = dataclasses.replace(
        base,
        with_web=not args.no_web,
        with_scheduler=not args.no_scheduler,
        with_actions=not args.no_actions,
        setup_database=not args.skip_db_setup,
    )
    supervisor = Supervisor(settings, child_environment(settings))
    signal.signal(signal.SIGINT, supervisor.request_stop)
    signal.signal(signal.SIGTERM, supervisor.request_stop)
    try:
        check_prerequisites(settings)
        prepare_databases(supervisor)
        for child in planned_children(settings):
            supervisor.start(child)
        say("waiting for the servers (Rasa loads its model in about 30 s)…")
        supervisor.wait_until_ready()
        if not supervisor.stop_requested:
            announce(settings)
        while not supervisor.stop_requested:
            supervisor.raise_if_a_child_died()
            time.sleep(0.5)
        say("stopping…")
        return 0
    except LaunchError as exc:
        say(f"error: {exc}")
        return EXIT_MISCONFIGURED
    except ChildDied as exc:
        say(f"error: {exc}; its log ({exc.child.log_path}) ends with:\n{log_tail(exc.child.log_path)}")
        return EXIT_CHILD_FAILED
    finally:
        supervisor.stop_all()
        if supervisor.children:
            say("all processes stopped")


def prepare_databases(supervisor: Supervisor) -> None:
    from analytics.sync.tracker_db import ensure_tracker_database

    try:
        ensure_tracker_database(supervisor.env["CXQA_TRACKER_URL"])
    except Exception as exc:  # any driver error: the message names the database
        raise LaunchError(f"cannot prepare the tracker database ({type(exc).__name__}: {exc})") from exc
    if not supervisor.settings.setup_database:
        return
    cli = [sys.executable, "-m", "analytics.cli"]
    supervisor.run_step("migrating the database (cxqa db upgrade)", [*cli, "db", "upgrade"])
    has_seed = (
        subprocess.run(
            [*cli, "seed-knowledge", "--help"], cwd=REPO_ROOT, env=supervisor.env, capture_output=True
        ).returncode
        == 0
    )
    if has_seed:
        supervisor.run_step("loading the bot's knowledge (cxqa seed-knowledge)", [*cli, "seed-knowledge"])


def announce(settings: LaunchSettings) -> None:
    say("ready")
    print(f"  Support page:  {settings.page_url}" if settings.with_web else "  Support page:  (disabled)")
    print(f"  REST webhook:  {settings.rest_webhook_url}")
    print(f"  Rasa API:      {settings.rasa_url}")
    print("  Press Ctrl-C to stop.", flush=True)


if __name__ == "__main__":
    sys.exit(main())
