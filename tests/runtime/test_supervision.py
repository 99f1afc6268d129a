"""The launcher supervises its children: a dead one is restarted with backoff, a frozen action server costs the
customer a few seconds, not minutes; everything it creates is readable by its owner only.

The first tests drive ``Supervisor`` with real short-lived processes (no Rasa, seconds). The ``rasa`` tests run
the whole product as ``make run`` does (actions, Rasa with the trained model, page, scheduler) and break its
action server for real: ``kill -9`` and ``SIGSTOP``, with customers talking over HTTP meanwhile.
"""

from __future__ import annotations

import contextlib
import os
import signal
import stat
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bot.launcher import (
    Child,
    ChildKeepsDying,
    LauncherLog,
    LaunchError,
    LaunchSettings,
    RestartPolicy,
    Supervisor,
)
from tests.support.rasa_servers import REPO_ROOT, RuntimeStack, is_alive, model_or_skip, started

APOLOGY = "can't look that up right now"
WARRANTY_ANSWER = "Aura Speaker (serial AS26000101) is covered until 15 June 2028"


# --- Supervisor with real processes (fast) ---------------------------------------------------------------

@pytest.fixture
def launcher_log(tmp_path) -> Iterator[Path]:
    LauncherLog.path = tmp_path / "logs" / "launcher.log"
    yield LauncherLog.path
    LauncherLog.path = None


def quick_supervisor(tmp_path: Path, **policy: float) -> Supervisor:
    restart = RestartPolicy(**{"first_delay_seconds": 0.2, "settle_seconds": 0.3, **policy})
    settings = LaunchSettings(log_dir=tmp_path / "logs", restart=restart, stop_grace_seconds=2)
    return Supervisor(settings, dict(os.environ))


def python_child(name: str, code: str) -> Child:
    return Child(name, [sys.executable, "-c", code], "")


def supervise_until(supervisor: Supervisor, condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        supervisor.supervise()
        time.sleep(0.05)


def test_backoff_doubles_up_to_the_cap():
    assert [RestartPolicy().delay(n) for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]


def test_a_killed_child_is_restarted_after_the_backoff_and_the_others_keep_running(tmp_path, capsys, launcher_log):
    supervisor = quick_supervisor(tmp_path, first_delay_seconds=0.5)
    victim = python_child("victim", "import time; print('victim up', flush=True); time.sleep(120)")
    bystander = python_child("bystander", "import time; time.sleep(120)")
    try:
        supervisor.start(victim)
        supervisor.start(bystander)
        supervisor.wait_until_ready()
        first_pid, bystander_pid = victim.process.pid, bystander.process.pid
        os.kill(first_pid, signal.SIGKILL)
        killed_at = time.monotonic()
        supervise_until(supervisor, lambda: victim.starts == 2)
        waited = time.monotonic() - killed_at
        supervise_until(supervisor, lambda: victim.ready)
        assert victim.process.pid != first_pid and victim.process.poll() is None
        assert 0.5 <= waited < 3, waited  # the backoff, not at once and not never
        assert bystander.process.pid == bystander_pid and bystander.process.poll() is None
        out = capsys.readouterr().out
        for expected in (
            f"victim (pid {first_pid}) was killed by SIGKILL after",
            "its log (", "victim up",  # the end of the dead child's log
            "restarting victim in 0.5 s (death 1 in a row)",
            f"restarted victim (pid {victim.process.pid}, start 2)",
            "victim is back",
        ):
            assert expected in out, out
        logged = launcher_log.read_text()
        assert "was killed by SIGKILL" in logged and "restarted victim" in logged
    finally:
        supervisor.stop_all()
    assert not is_alive(victim.process.pid) and not is_alive(bystander.process.pid)


def test_a_child_that_keeps_dying_at_start_makes_the_launcher_give_up(tmp_path, capsys):
    supervisor = quick_supervisor(tmp_path, first_delay_seconds=0.05, settle_seconds=5)
    crasher = python_child("crasher", "import sys; print('bad config: no such thing', flush=True); sys.exit(3)")
    started_at = time.monotonic()
    try:
        supervisor.start(crasher)
        with pytest.raises(ChildKeepsDying, match="crasher died 5 times in a row before it was ready") as caught:
            supervise_until(supervisor, lambda: False)
    finally:
        supervisor.stop_all()
    assert caught.value.code == 3 and "exited with code 3" in str(caught.value)
    out = capsys.readouterr().out
    # 0.05, 0.1, 0.2, 0.4 s between the five deaths; each one logged with the reason from its log.
    for delay in ("0.05", "0.1", "0.2", "0.4"):
        assert f"restarting crasher in {delay} s" in out, out
    assert out.count("bad config: no such thing") >= 5
    assert time.monotonic() - started_at < 15


def test_a_child_that_was_up_long_enough_starts_the_backoff_again(tmp_path):
    supervisor = quick_supervisor(tmp_path, stable_after_seconds=0.5, first_delay_seconds=0.1)
    child = python_child("flaky", "import time; time.sleep(120)")
    try:
        supervisor.start(child)
        supervise_until(supervisor, lambda: child.ready)
        child.deaths_in_a_row = 4  # it died four times before, quickly
        time.sleep(0.6)  # ... and has now been up longer than stable_after_seconds
        os.kill(child.process.pid, signal.SIGKILL)
        supervise_until(supervisor, lambda: child.restart_at is not None)
        assert child.deaths_in_a_row == 1 and child.restart_at - time.monotonic() <= 0.1
    finally:
        supervisor.stop_all()


@pytest.mark.parametrize(
    ("variable", "value"),
    [("CXQA_RESTART_DELAY_SECONDS", "-1"), ("CXQA_ACTION_TIMEOUT_SECONDS", "five"), ("CXQA_START_TIMEOUT", "x")],
)
def test_bad_supervision_settings_are_clear_errors(variable, value):
    with pytest.raises(LaunchError, match=f"{variable}='{value}' is not a number of seconds"):
        LaunchSettings.from_environment({variable: value})


def test_sqlite_databases_made_by_cxqa_commands_are_private(tmp_path):
    from analytics.storage.db import make_engine

    old = os.umask(0o022)  # a usual login shell's umask: SQLite alone would make the file 0644
    try:
        engine = make_engine(f"sqlite:///{tmp_path / 'standalone.db'}")
        with engine.connect() as conn:  # open: the WAL and shared-memory files exist meanwhile
            conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
            conn.exec_driver_sql("INSERT INTO t VALUES (1)")
            conn.commit()
            database_files = [tmp_path / "standalone.db", *tmp_path.glob("standalone.db-*")]
            modes = {path.name: oct(mode_of(path)) for path in database_files}
        engine.dispose()
    finally:
        os.umask(old)
    assert modes == {"standalone.db": "0o600", "standalone.db-wal": "0o600", "standalone.db-shm": "0o600"}


# --- the whole product, broken for real -------------------------------------------------------------------

def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def child_pid(stack: RuntimeStack, module: str) -> int:
    """The pid of the launcher's child running ``python -m <module>`` (or of Rasa: module "rasa run")."""
    found = [pid for pid in stack.processes() if module in cmdline(pid) and pid != stack.process.pid]
    assert found, f"no {module} process under the launcher:\n{stack.diagnostics()}"
    return min(found)  # the group leader (a child's helpers have higher pids)


def texts(replies: list[dict]) -> str:
    return "\n".join(reply.get("text") or "" for reply in replies)


def wait_for_output(stack: RuntimeStack, marker: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while marker not in stack.output():
        assert time.monotonic() < deadline, f"no {marker!r} in the launcher's output:\n{stack.diagnostics()}"
        time.sleep(0.2)


def ask_warranty(stack: RuntimeStack, customer: str) -> str:
    replies = texts(stack.say(customer, "is my AS26000101 still under warranty?", timeout=120))
    if "serial number" in replies and WARRANTY_ANSWER not in replies and APOLOGY not in replies:
        replies = texts(stack.say(customer, "AS26000101", timeout=120))  # the serial was not read the first time
    return replies


@pytest.fixture(scope="module")
def supervised_stack(tmp_path_factory) -> Iterator[RuntimeStack]:
    """The whole product; a 4 s first restart delay, so that a test can talk to the bot while actions are down.

    Its log directory and NPS spool exist before the start with the modes an older version (umask 022) left.
    """
    directory = tmp_path_factory.mktemp("supervised")
    (directory / "logs").mkdir(mode=0o755)
    (directory / "logs").chmod(0o755)
    for old in (directory / "logs" / "web.log", directory / "nps_spool.jsonl"):
        old.write_text("")
        old.chmod(0o644)
    stack = RuntimeStack(
        directory,
        model_or_skip(),
        env={"CXQA_RESTART_DELAY_SECONDS": "4", "CXQA_NPS_SPOOL": str(directory / "nps_spool.jsonl")},
    )
    with started(stack):
        yield stack


@pytest.mark.rasa
def test_killed_action_server_is_restarted_and_the_bot_apologises_meanwhile(supervised_stack):
    stack = supervised_stack
    others = {name: child_pid(stack, name) for name in ("rasa run", "bot.web.server", "analytics.cli")}
    victim = child_pid(stack, "bot.action_server")
    customer = f"kill-{uuid.uuid4().hex[:8]}"
    assert "Lumio support assistant" in texts(stack.say(customer, "hello"))

    os.kill(victim, signal.SIGKILL)
    killed_at = time.monotonic()
    during_outage = ask_warranty(stack, customer)
    answered_after = time.monotonic() - killed_at
    assert APOLOGY in during_outage and "support@lumio.example" in during_outage, during_outage
    assert "restarted actions" not in stack.output(), "the reply must come from the outage (4 s backoff)"

    wait_for_output(stack, "actions is back")
    output = stack.output()
    assert f"actions (pid {victim}) was killed by SIGKILL" in output
    assert "restarting actions in 4 s (death 1 in a row)" in output
    launcher_log = (stack.directory / "logs" / "launcher.log").read_text()
    assert f"actions (pid {victim}) was killed by SIGKILL" in launcher_log and "restarted actions" in launcher_log

    # Nothing else was stopped: same Rasa, page and scheduler processes, the launcher still running.
    assert stack.process.poll() is None
    assert {name: is_alive(pid) for name, pid in others.items()} == {name: True for name in others}
    assert httpx.get(stack.page_url, timeout=10).status_code == 200
    assert child_pid(stack, "bot.action_server") != victim
    # And the restarted action server answers the next customer for real.
    assert WARRANTY_ANSWER in ask_warranty(stack, f"kill-after-{uuid.uuid4().hex[:8]}")
    print(f"\n[supervision] apology {answered_after:.2f} s after the kill")


@pytest.mark.rasa
def test_frozen_action_server_costs_the_customer_seconds_not_minutes(supervised_stack):
    stack = supervised_stack
    frozen = child_pid(stack, "bot.action_server")
    customer = f"frozen-{uuid.uuid4().hex[:8]}"
    assert "Lumio support assistant" in texts(stack.say(customer, "hello"))
    os.kill(frozen, signal.SIGSTOP)
    try:
        asked_at = time.monotonic()
        reply = ask_warranty(stack, customer)
        waited = time.monotonic() - asked_at
    finally:
        os.kill(frozen, signal.SIGCONT)
    assert APOLOGY in reply and "support@lumio.example" in reply, reply
    assert waited <= 10, f"{waited:.1f} s with a 5 s action timeout"
    print(f"\n[supervision] apology {waited:.2f} s after the question, action server frozen")
    # Thawed, the same action server process answers again; the conversation goes on.
    assert WARRANTY_ANSWER in ask_warranty(stack, customer)
    assert child_pid(stack, "bot.action_server") == frozen
    assert "no answer from the action server" in (stack.directory / "logs" / "rasa.log").read_text()


@pytest.mark.rasa
def test_databases_spool_and_logs_are_readable_by_their_owner_only(supervised_stack):
    directory = supervised_stack.directory
    with contextlib.suppress(httpx.HTTPError):
        supervised_stack.say(f"perm-{uuid.uuid4().hex[:8]}", "hello")  # the tracker store has written
    files = [
        directory / "cxqa.db",
        directory / "rasa_tracker.db",
        directory / "nps_spool.jsonl",  # made 0644 before the start
        *directory.glob("*.db-*"),
        *(directory / "logs").glob("*.log"),  # web.log was made 0644 before the start
    ]
    assert {"cxqa.db", "rasa_tracker.db", "launcher.log", "rasa.log", "actions.log", "web.log"} <= {
        path.name for path in files
    }
    assert {str(path): oct(mode_of(path)) for path in files} == {str(path): "0o600" for path in files}
    assert oct(mode_of(directory / "logs")) == "0o700"
    assert oct(mode_of(REPO_ROOT / "var")) == "0o700"
