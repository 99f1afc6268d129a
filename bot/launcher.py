"""Start the whole bot touchpoint: ``python -m bot.launcher`` (what ``make run`` runs after install and train).

1. ``cxqa db upgrade`` and, when that command exists, ``cxqa seed-knowledge`` (products, registry);
2. the loopback action server, the Rasa server (REST + socket.io channels, SQL tracker store), the support
   page and the scheduler (tracker sync, NPS triggers), each in its own process group;
3. waits until each answers, prints the URLs, and on Ctrl-C (SIGINT) or SIGTERM stops every process it
   started: SIGTERM to each group, SIGKILL to what is left after a grace period.
4. supervises them: a child that exits on its own is started again after a backoff (1 s, 2 s, 4 s ... at most
   30 s; back to 1 s once it has been up for a minute) while the others keep running; each death (exit code,
   the end of its log) and each restart is logged to stdout and var/logs/launcher.log. A child that dies 5
   times in a row before it ever became ready is broken, not unlucky: the launcher stops everything and
   exits 1 with the reason (``RestartPolicy``).

Everything it creates, and everything its children create, is readable by the owner only (umask 077; var/
and the log directory 0700; databases, spool and logs 0600, also when an older version made them 0644).

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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot.channels.message_limits import DEFAULT_MAX_MESSAGE_CHARS, max_message_chars

REPO_ROOT = Path(__file__).resolve().parents[1]
EXIT_MISCONFIGURED = 2
EXIT_CHILD_FAILED = 1


class LaunchError(RuntimeError):
    """Something the user must fix before the bot can start; the message says what."""


@dataclass(frozen=True)
class RestartPolicy:
    """When a child that exited on its own is started again, and when the launcher gives up instead."""

    first_delay_seconds: float = 1.0
    max_delay_seconds: float = 30.0
    # Up this long, a child has recovered: its next death starts the backoff again at the first delay.
    stable_after_seconds: float = 60.0
    # Deaths in a row before the child became ready (answered its URL): then it is broken, not unlucky.
    max_failed_starts: int = 5
    # A child without a readiness URL (the scheduler) counts as started once it has run this long.
    settle_seconds: float = 5.0

    def delay(self, deaths_in_a_row: int) -> float:
        """1 s, 2 s, 4 s ... (with the defaults) for the 1st, 2nd, 3rd death in a row; never above the cap."""
        return min(self.first_delay_seconds * 2 ** max(0, deaths_in_a_row - 1), self.max_delay_seconds)


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
    # Rasa's HTTP API token (CXQA_RASA_TOKEN); when empty, the one kept in rasa_token_file (made on first start).
    rasa_token: str = ""
    rasa_token_file: Path = REPO_ROOT / "var" / "rasa_api_token"
    # Customer messages are cut to this many characters before NLU, on every channel (docs/security.md).
    max_message_chars: int = DEFAULT_MAX_MESSAGE_CHARS
    start_timeout_seconds: float = 240.0
    stop_grace_seconds: float = 15.0
    with_web: bool = True
    with_scheduler: bool = True
    with_actions: bool = True
    setup_database: bool = True
    restart: RestartPolicy = field(default_factory=RestartPolicy)

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

        def seconds(name: str, default: float, maximum: float) -> float:
            raw = env.get(name, "").strip() or str(default)
            try:
                value = float(raw)
            except ValueError:
                value = float("nan")
            if not 0 < value <= maximum:  # also false for nan
                raise LaunchError(f"{name}={raw!r} is not a number of seconds between 0 and {maximum:g}")
            return value

        # Read by Rasa (bot/action_call_timeout.py); checked here so that a typo is a clear error at start.
        seconds("CXQA_ACTION_TIMEOUT_SECONDS", 5.0, 300.0)
        seconds("CXQA_WEB_IDLE_TIMEOUT_SECONDS", 15.0, 3600.0)  # read by bot/web/server.py
        restart = RestartPolicy(
            first_delay_seconds=seconds("CXQA_RESTART_DELAY_SECONDS", RestartPolicy.first_delay_seconds, 600.0),
            max_delay_seconds=seconds("CXQA_RESTART_MAX_DELAY_SECONDS", RestartPolicy.max_delay_seconds, 3600.0),
        )
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
            rasa_token=env.get("CXQA_RASA_TOKEN", ""),
            rasa_token_file=path("CXQA_RASA_TOKEN_FILE", cls.rasa_token_file),
            max_message_chars=_max_message_chars(env),
            start_timeout_seconds=seconds("CXQA_START_TIMEOUT", cls.start_timeout_seconds, 86400.0),
            restart=restart,
        )

    @property
    def rasa_url(self) -> str:
        return f"http://{_url_host(self.rasa_host)}:{self.rasa_port}"

    def api_token(self) -> str:
        """The token of Rasa's HTTP API: the configured one, else the token file's (generated, 0600, if absent)."""
        from analytics.rasa_api_token import RasaTokenError, ensure_rasa_token

        configured = {"CXQA_RASA_TOKEN": self.rasa_token} if self.rasa_token else {}
        try:
            return ensure_rasa_token(configured, self.rasa_token_file)
        except (RasaTokenError, OSError) as exc:
            raise LaunchError(f"Rasa's API token: {exc}") from exc

    @property
    def rasa_status_url(self) -> str:
        """Rasa's /status (needs the token), which answers with the model id once the model is loaded."""
        return f"{self.rasa_url}/status?token={self.api_token()}"

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


def _max_message_chars(env: Mapping[str, str]) -> int:
    try:
        return max_message_chars(env)
    except ValueError as exc:
        raise LaunchError(str(exc)) from None


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
            # Rasa's API token for the scheduler and our tools (Rasa itself gets it as --auth-token).
            "CXQA_RASA_TOKEN": settings.api_token(),
            # Read by our channels inside Rasa (bot/channels/): the message cap and the socket.io page origins.
            "CXQA_MAX_MESSAGE_CHARS": str(settings.max_message_chars),
            "CXQA_SOCKETIO_ORIGINS": " ".join(settings.page_origins()),
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
        # Every API route (conversations, tracker events, model, ...) then needs ?token=; see docs/security.md.
        "--auth-token", settings.api_token(),
        "--cors", *settings.page_origins(),
    ]  # fmt: skip
    return command


@dataclass
class Child:
    name: str
    command: list[str]
    ready_url: str
    is_ready: Callable[[bytes], bool] = field(default=lambda _body: True)
    process: subprocess.Popen | None = None
    log_path: Path | None = None
    # Supervision state (Supervisor): when the current process started, whether it answered, restarts.
    started_at: float = 0.0
    ready: bool = False
    starts: int = 0
    deaths_in_a_row: int = 0  # the backoff's exponent; back to 0 after RestartPolicy.stable_after_seconds up
    failed_starts: int = 0  # deaths in a row before it became ready
    restart_at: float | None = None  # dead, to be started again at this time.monotonic()


def planned_children(settings: LaunchSettings) -> list[Child]:
    python = sys.executable
    children = []
    if settings.with_actions:
        children.append(Child("actions", [python, "-m", "bot.action_server"], f"{settings.action_url}/health"))
    children.append(
        Child("rasa", rasa_command(settings), settings.rasa_status_url, lambda body: b"model_id" in body)
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
    """Starts children in their own process groups, restarts one that dies, and stops them all, whatever happens."""

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
        """Start ``child`` (again, after a death); its output is appended to <log dir>/<name>.log."""
        private_directory(self.settings.log_dir)
        child.log_path = self.settings.log_dir / f"{child.name}.log"
        with open(child.log_path, "ab") as log:
            make_private(child.log_path)  # the umask covers new files; this covers a log made before it
            child.process = subprocess.Popen(
                child.command,
                cwd=REPO_ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: we stop it, and all it spawned, as one
            )
        child.started_at = time.monotonic()
        child.ready = False
        child.restart_at = None
        child.starts += 1
        if child not in self.children:
            self.children.append(child)
        if child.starts == 1:
            say(f"started {child.name} (pid {child.process.pid}, log {child.log_path})")
        else:
            say(f"restarted {child.name} (pid {child.process.pid}, start {child.starts})")

    @property
    def all_ready(self) -> bool:
        return all(child.ready for child in self.children)

    def wait_until_ready(self) -> None:
        """Supervise until every child is ready (or a stop is requested)."""
        while not self.stop_requested and not self.all_ready:
            self.supervise()
            if not self.all_ready:
                time.sleep(0.5)

    def run_until_stopped(self) -> None:
        while not self.stop_requested:
            self.supervise()
            time.sleep(0.5)

    def supervise(self) -> None:
        """One round: notice deaths (schedule a restart, or give up), start what is due, probe readiness.

        Raises ChildKeepsDying when a child died ``max_failed_starts`` times in a row before it became ready,
        LaunchError when one is not ready ``start_timeout_seconds`` after it started.
        """
        for child in self.children:
            if self.stop_requested:
                return
            now = time.monotonic()
            if child.restart_at is not None:
                if now >= child.restart_at:
                    self.start(child)
                continue
            code = child.process.poll() if child.process else None
            if code is not None:
                self._child_died(child, code, now)
            elif not child.ready:
                self._probe(child, now)

    def _probe(self, child: Child, now: float) -> None:
        settle = self.settings.restart.settle_seconds
        ready = _answers(child) if child.ready_url else now - child.started_at >= settle
        if ready:
            child.ready = True
            child.failed_starts = 0
            if child.starts > 1:
                say(f"{child.name} is back: ready {time.monotonic() - child.started_at:.1f} s after its restart")
        elif now - child.started_at > self.settings.start_timeout_seconds:
            raise LaunchError(f"not ready after {self.settings.start_timeout_seconds:.0f} s: {child.name}")

    def _child_died(self, child: Child, code: int, now: float) -> None:
        policy = self.settings.restart
        _signal_group(child.process, signal.SIGKILL)  # what it spawned in its group goes with it
        uptime = now - child.started_at
        if uptime >= policy.stable_after_seconds:
            child.deaths_in_a_row = 0
        child.deaths_in_a_row += 1
        if not child.ready:
            child.failed_starts += 1
        tail = log_tail(child.log_path, lines=15)
        say(
            f"{child.name} (pid {child.process.pid}) {describe_exit(code)} after {uptime:.1f} s"
            + (f"; its log ({child.log_path}) ends with:\n{_indented(tail)}" if tail else "")
        )
        if child.failed_starts >= policy.max_failed_starts:
            raise ChildKeepsDying(child, code)
        delay = policy.delay(child.deaths_in_a_row)
        child.restart_at = now + delay
        say(f"restarting {child.name} in {delay:g} s (death {child.deaths_in_a_row} in a row)")

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
            if child.restart_at is not None:
                continue  # dead and its group killed when it died; its pid may belong to someone else by now
            # Also reaps what a child left behind in its group (a stopped parent's helpers).
            _signal_group(child.process, signal.SIGKILL)
            if child.process:
                try:
                    child.process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    say(f"{child.name} (pid {child.process.pid}) could not be stopped")


class ChildDied(RuntimeError):
    def __init__(self, child: Child, code: int, message: str = "") -> None:
        super().__init__(message or f"{child.name} {describe_exit(code)}")
        self.child = child
        self.code = code


class ChildKeepsDying(ChildDied):
    """A child died ``RestartPolicy.max_failed_starts`` times in a row before it ever became ready."""

    def __init__(self, child: Child, code: int) -> None:
        super().__init__(
            child,
            code,
            f"{child.name} died {child.failed_starts} times in a row before it was ready (last: it "
            f"{describe_exit(code)}); giving up",
        )


def describe_exit(code: int) -> str:
    """E.g. 'exited with code 1' or 'was killed by SIGKILL' (Popen's negative return codes are signals)."""
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


def _indented(text: str) -> str:
    return "\n".join(f"    {line}" for line in text.splitlines())


def private_directory(path: Path) -> None:
    """Create ``path`` (and its parents) if needed; ``path`` itself is made 0700."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(OSError):  # not ours: leave it, the files in it are still 0600
        path.chmod(0o700)


def make_private(path: Path) -> None:
    """0600 if ``path`` exists (files created before the launcher set its umask, by an older version)."""
    with contextlib.suppress(OSError):
        if path.is_file():
            path.chmod(0o600)


def secure_runtime_files(settings: LaunchSettings, env: dict[str, str]) -> None:
    """var/ and the log directory 0700; the SQLite databases (with -wal/-shm), the NPS spool and logs 0600."""
    from analytics.nps.spool import spool_path
    from analytics.storage.db import database_url, sqlite_file

    for directory in (REPO_ROOT / "var", settings.log_dir):
        try:
            private_directory(directory)
        except OSError as exc:
            raise LaunchError(f"cannot create {directory} ({exc.strerror}): set CXQA_LOG_DIR or fix it") from exc
    files = list(settings.log_dir.glob("*.log*"))
    for url in (database_url(env.get("CXQA_DATABASE_URL")), env.get("CXQA_TRACKER_URL", "")):
        database = sqlite_file(url) if url else None
        if database is not None:
            files += [database, *database.parent.glob(database.name + "-*")]
    spool = spool_path(env.get("CXQA_NPS_SPOOL"))
    files += [spool, *spool.parent.glob(spool.name + ".*")]
    for path in files:
        make_private(path)


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


class LauncherLog:
    """Where ``say`` also writes (var/logs/launcher.log once ``main`` knows the log directory)."""

    path: Path | None = None


def say(message: str) -> None:
    print(f"[cxqa] {message}", flush=True)
    if LauncherLog.path is not None:
        with contextlib.suppress(OSError), open(LauncherLog.path, "a", encoding="utf-8") as log:
            log.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {message}\n")


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
    # Before anything is created: databases, logs and spool of ours and of every child are the owner's only.
    os.umask(0o077)
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
        secure_runtime_files(settings, supervisor.env)
        LauncherLog.path = settings.log_dir / "launcher.log"
        check_prerequisites(settings)
        prepare_databases(supervisor)
        for child in planned_children(settings):
            supervisor.start(child)
        say("waiting for the servers (Rasa loads its model in about 30 s)…")
        supervisor.wait_until_ready()
        if not supervisor.stop_requested:
            announce(settings)
        supervisor.run_until_stopped()
        say("stopping…")
        return 0
    except LaunchError as exc:
        say(f"error: {exc}")
        return EXIT_MISCONFIGURED
    except ChildDied as exc:
        say(f"error: {exc}; see its log, {exc.child.log_path}")
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
