"""Rasa's memory and reply time for long customer messages (security finding 1, docs/security.md).

Starts the bot as `make run` does (``python -m bot.launcher --no-web --no-scheduler`` through the test
fixture, own SQLite files in a temporary folder), then sends messages of 2,000 characters, 40 KB and 1 MB
("help me help me ...", the probe's text) on the REST channel and on socket.io (long-polling, as the widget
starts), one sender each, and prints for each message the reply time and the Rasa process's resident memory:
before, the peak while it handled the message (VmHWM, reset before each message through
/proc/PID/clear_refs) and after.

    .venv/bin/python benchmarks/rasa_message_memory.py            # the product's cap (2,000 characters)
    .venv/bin/python benchmarks/rasa_message_memory.py --max-chars 10000 --sizes 2000,10000

``--max-chars`` raises the cap (CXQA_MAX_MESSAGE_CHARS) to see what it protects against: without the cap a
40 KB message took Rasa to 12.6 GB; do not send more than ~10,000 characters uncapped on a shared machine.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from tests.support.rasa_servers import DEFAULT_MODEL, RuntimeStack  # noqa: E402
from tests.support.socketio_polling import PollingSocket  # noqa: E402

SIZES = (2_000, 40_000, 1_000_000)
NOTICE_START = "Your message was long"


@dataclass
class Measurement:
    channel: str
    chars: int
    seconds: float
    rss_before_mb: float
    peak_mb: float
    rss_after_mb: float
    outcome: str


def rasa_pid(stack: RuntimeStack) -> int:
    pid = stack.rasa_pid()
    if pid is None:
        raise RuntimeError("no `rasa run` process under the launcher")
    return pid


def memory_mb(pid: int, field: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"/proc/{pid}/status has no {field}")


def reset_peak(pid: int) -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0, same user or root)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def message_of(chars: int) -> str:
    return ("help me " * (chars // 8 + 1))[:chars]


def send_rest(stack: RuntimeStack, text: str) -> str:
    response = httpx.post(stack.rest_url, json={"sender": f"bench-{uuid.uuid4().hex[:8]}", "message": text},
                          timeout=600)
    replies = response.json() if response.status_code == 200 else []
    return f"HTTP {response.status_code}, {len(replies)} bot messages"


def answered(texts: list[str]) -> bool:
    """A bot reply has come (after the shortening notice, when there is one)."""
    return bool(texts) and (not texts[0].startswith(NOTICE_START) or len(texts) >= 2)


def send_socketio(stack: RuntimeStack, text: str) -> str:
    session = uuid.uuid4().hex
    with PollingSocket(stack.rasa_url, origin=f"http://127.0.0.1:{stack.web_port}") as sock:
        sock.handshake()
        sock.request_session(session)
        try:
            sock.emit("user_uttered", {"message": text, "session_id": session})
        except httpx.HTTPError as exc:  # Engine.IO drops a packet over 1,000,000 bytes and closes the socket
            return f"dropped by Engine.IO, over its 1,000,000-byte packet limit ({type(exc).__name__})"
        texts = sock.bot_texts(until=answered, timeout=600)
    return f"{len(texts)} bot messages"


def measure(stack: RuntimeStack, pid: int, channel: str, chars: int) -> Measurement:
    text = message_of(chars)
    before = memory_mb(pid, "VmRSS")
    peak_known = reset_peak(pid)
    started = time.monotonic()
    outcome = (send_rest if channel == "rest" else send_socketio)(stack, text)
    seconds = time.monotonic() - started
    peak = memory_mb(pid, "VmHWM") if peak_known else float("nan")
    return Measurement(channel, chars, seconds, before, peak, memory_mb(pid, "VmRSS"), outcome)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL)
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="message lengths in characters")
    parser.add_argument("--channels", default="rest,socketio")
    parser.add_argument("--max-chars", type=int, default=None, help="CXQA_MAX_MESSAGE_CHARS (default 2,000)")
    args = parser.parse_args(argv)
    sizes = [int(size) for size in args.sizes.split(",")]
    env = {"CXQA_MAX_MESSAGE_CHARS": str(args.max_chars)} if args.max_chars else {}
    with tempfile.TemporaryDirectory(prefix="cxqa-memory-") as folder:
        stack = RuntimeStack(Path(folder), args.model, web=False, scheduler=False, env=env)
        print(f"starting the bot (cap {args.max_chars or 2000:,} characters)…", flush=True)
        with stack:
            pid = rasa_pid(stack)
            stack.say("bench-warm-up", "hello")  # the first message loads lazily built parts of the graph
            print(f"Rasa pid {pid}: {memory_mb(pid, 'VmRSS'):,.0f} MB resident after one warm-up message\n")
            header = f"{'channel':<9} {'message':>11} {'reply s':>8} {'RSS before':>11} {'peak':>9} {'RSS after':>10}"
            print(f"{header}  outcome")
            for channel in args.channels.split(","):
                for chars in sizes:
                    m = measure(stack, pid, channel, chars)
                    print(
                        f"{m.channel:<9} {m.chars:>11,} {m.seconds:>8.2f} {m.rss_before_mb:>8,.0f} MB "
                        f"{m.peak_mb:>6,.0f} MB {m.rss_after_mb:>7,.0f} MB  {m.outcome}",
                        flush=True,
                    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
