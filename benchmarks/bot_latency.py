"""Bot latency under load: our bot against a bare ``rasa init`` bot, over Rasa's REST channel.

    .venv/bin/python benchmarks/bot_latency.py [--levels 1,10,50] [--messages 200] [--rounds 2]
        [--think-seconds 0] [--bare-model PATH] [--json out.json] [--plot latency.png]

For each concurrency level, that many simulated customers play the conversations of
benchmarks/bot_latency_conversations.yml, each sending its next message as soon as it has the answer
(a saturation test), or, with ``--think-seconds``, after reading and typing as people do.

How each bot runs (the same way, except for what makes it *our* bot):
- ours: as `make run` runs it (``python -m bot.launcher --no-web --no-scheduler``): our action server, Rasa
  with bot/credentials.yml, bot/endpoints.yml (our SQL tracker store on a fresh SQLite file, in-memory lock
  store), models/cxqa.tar.gz.
- bare: ``rasa init --no-prompt`` trained in a temporary folder (unless --bare-model), started by the same
  launcher with ``CXQA_MODEL`` pointing at it and ``--no-actions`` (it has no custom actions): the same
  ``rasa run`` command line, credentials and endpoints, the same tracker store type on its own fresh SQLite
  file, the in-memory lock store.

Both servers stay up for the whole run, but only one is measured at a time: each level is measured in
``--rounds`` rounds per bot in ABBA order (bare, ours, ours, bare, ...) so that load drift on a shared
machine hits both alike; each round starts with a few unmeasured warm-up messages. Prints p50/p95 latency
and messages/s per bot, and our p95 over the bare bot's (goal: at most 1.3 at every level); the mean too,
which with the customers always waiting is customers / (messages/s) (Little's law), so a lower median at the
same or lower throughput means a more uneven queue, not a faster bot. ``--plot`` draws each level's latency
distribution (cumulative share of messages answered within t), both bots on one chart per level.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
CONVERSATIONS = Path(__file__).resolve().parent / "bot_latency_conversations.yml"
RASA = REPO_ROOT / ".venv-rasa" / "bin" / "rasa"
QUIET_RASA = {"RASA_TELEMETRY_ENABLED": "false", "SQLALCHEMY_SILENCE_UBER_WARNING": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}


# --- statistics (pure) -----------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (``fraction`` in 0..1) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


@dataclass
class LevelResult:
    bot: str
    customers: int
    latencies: list[float] = field(default_factory=list)
    elapsed: float = 0.0
    errors: int = 0

    @property
    def p50_ms(self) -> float:
        return percentile(self.latencies, 0.50) * 1000

    @property
    def p95_ms(self) -> float:
        return percentile(self.latencies, 0.95) * 1000

    @property
    def mean_ms(self) -> float:
        return sum(self.latencies) / len(self.latencies) * 1000 if self.latencies else 0.0

    @property
    def messages_per_second(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0


# --- load ------------------------------------------------------------------------------------------------


async def customer(
    client: httpx.AsyncClient,
    url: str,
    scripts: list[list[str]],
    offset: int,
    budget: int,
    result: LevelResult,
    think_seconds: float = 0.0,
) -> None:
    """One customer: whole conversations, a fresh sender each, until ``budget`` messages are sent, reading
    and typing for 0.5-1.5x ``think_seconds`` after each answer (0: the next message at once)."""
    sent, index = 0, offset
    pause = random.Random(offset)
    if think_seconds:
        await asyncio.sleep(pause.uniform(0, think_seconds))  # customers arrive spread out, not all at once
    while sent < budget:
        sender = f"bench-{uuid.uuid4().hex[:10]}"
        for message in scripts[index % len(scripts)]:
            if sent >= budget:
                break
            started = time.perf_counter()
            try:
                response = await client.post(url, json={"sender": sender, "message": str(message)})
                response.raise_for_status()
                result.latencies.append(time.perf_counter() - started)
            except httpx.HTTPError:
                result.errors += 1
            sent += 1
            if think_seconds:
                await asyncio.sleep(think_seconds * pause.uniform(0.5, 1.5))
        index += 1


async def run_level(
    bot: str, rest_url: str, customers: int, total_messages: int, scripts: list[list[str]], think_seconds: float = 0.0
) -> LevelResult:
    result = LevelResult(bot, customers)
    budget = max(1, math.ceil(total_messages / customers))
    limits = httpx.Limits(max_connections=customers + 5, max_keepalive_connections=customers + 5)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        # Warm-up: the first replies of a fresh server are slow (TensorFlow graphs); not measured.
        await asyncio.gather(*(customer(client, rest_url, scripts, i, 2, LevelResult(bot, 1)) for i in range(3)))
        started = time.perf_counter()
        await asyncio.gather(
            *(customer(client, rest_url, scripts, i, budget, result, think_seconds) for i in range(customers))
        )
        result.elapsed = time.perf_counter() - started
    return result


# --- servers ---------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """A process group we started; stopped with SIGINT, then SIGKILL."""

    def __init__(self, command: list[str], cwd: Path, env: dict[str, str], log: Path) -> None:
        self.log = log
        with open(log, "wb") as out:
            self.process = subprocess.Popen(
                command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def wait_for(self, check, timeout: float = 600) -> None:
        deadline = time.monotonic() + timeout
        while not check():
            if self.process.poll() is not None or time.monotonic() > deadline:
                tail = "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])
                self.stop()
                raise SystemExit(f"server did not start (log {self.log}):\n{tail}")
            time.sleep(1)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def rasa_answers(rasa_url: str) -> bool:
    try:
        return httpx.get(f"{rasa_url}/status", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def start_with_launcher(workdir: Path, name: str, model: Path, extra_flags: list[str]) -> tuple[Server, str]:
    """``python -m bot.launcher --no-web --no-scheduler``: the `make run` command line, own SQLite files."""
    folder = workdir / f"{name}-run"
    folder.mkdir()
    ports = {name: str(free_port()) for name in ("CXQA_RASA_PORT", "CXQA_ACTION_PORT")}
    env = {
        **os.environ,
        **QUIET_RASA,
        **ports,
        "CXQA_MODEL": str(model),
        "CXQA_LOG_DIR": str(folder / "logs"),
        "CXQA_DATABASE_URL": f"sqlite:///{folder / 'cxqa.db'}",
        "CXQA_TRACKER_URL": f"sqlite:///{folder / 'rasa_tracker.db'}",
        "CXQA_LOCK_STORE": "in_memory",
    }
    command = [sys.executable, "-m", "bot.launcher", "--no-web", "--no-scheduler", *extra_flags]
    server = Server(command, REPO_ROOT, env, folder / "launcher.out")
    server.wait_for(lambda: "[cxqa] ready" in server.log.read_text(errors="replace"))
    return server, f"http://127.0.0.1:{ports['CXQA_RASA_PORT']}"


def start_our_bot(workdir: Path) -> tuple[Server, str]:
    return start_with_launcher(workdir, "ours", REPO_ROOT / "models" / "cxqa.tar.gz", [])


def start_bare_bot(workdir: Path, model: Path) -> tuple[Server, str]:
    """The bare model behind the same Rasa command line, endpoints and tracker store type; no action server."""
    return start_with_launcher(workdir, "bare", model, ["--no-actions"])


def train_bare_bot(workdir: Path) -> Path:
    print("training a bare `rasa init` bot (a minute or two)...", flush=True)
    project = workdir / "bare"
    project.mkdir()
    result = subprocess.run(
        [str(RASA), "init", "--no-prompt"],
        cwd=project,
        env={**os.environ, **QUIET_RASA},
        capture_output=True,
        text=True,
    )
    models = sorted((project / "models").glob("*.tar.gz"))
    if result.returncode != 0 or not models:
        raise SystemExit(f"rasa init failed:\n{(result.stdout + result.stderr)[-3000:]}")
    return models[-1]


def merge(results: list[LevelResult]) -> LevelResult:
    merged = LevelResult(results[0].bot, results[0].customers)
    for result in results:
        merged.latencies += result.latencies
        merged.elapsed += result.elapsed
        merged.errors += result.errors
    return merged


def measure_interleaved(
    urls: dict[str, str],
    levels: list[int],
    messages: int,
    rounds: int,
    scripts: list[list[str]],
    think_seconds: float = 0.0,
) -> dict[str, list[LevelResult]]:
    """Each level: ``rounds`` rounds per bot in ABBA order, ``messages / rounds`` messages per round."""
    per_round = max(1, math.ceil(messages / rounds))
    results: dict[str, list[LevelResult]] = {bot: [] for bot in urls}
    for level in levels:
        order = [bot for index in range(rounds) for bot in (("bare", "ours") if index % 2 == 0 else ("ours", "bare"))]
        runs: dict[str, list[LevelResult]] = {bot: [] for bot in urls}
        for bot in order:
            webhook = f"{urls[bot]}/webhooks/rest/webhook"
            runs[bot].append(asyncio.run(run_level(bot, webhook, level, per_round, scripts, think_seconds)))
        for bot in ("bare", "ours"):
            result = merge(runs[bot])
            print(
                f"  {bot:>4} x{level:<3} p50 {result.p50_ms:7.1f} ms  p95 {result.p95_ms:7.1f} ms  "
                f"mean {result.mean_ms:7.1f} ms  "
                f"{result.messages_per_second:6.1f} msg/s  ({len(result.latencies)} messages, {result.errors} errors)",
                flush=True,
            )
            results[bot].append(result)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--levels", default="1,10,50", help="concurrent customers, comma-separated")
    parser.add_argument("--messages", type=int, default=200, help="messages measured per level and bot")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds per bot and level (ABBA)")
    parser.add_argument(
        "--think-seconds",
        type=float,
        default=0.0,
        help="customers pause 0.5-1.5x this long after each answer, as people read and type (default 0: "
        "each sends at once, which saturates the server)",
    )
    parser.add_argument("--bare-model", type=Path, help="reuse a trained `rasa init` model")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--plot", type=Path, help="also draw the latency distributions into this PNG")
    args = parser.parse_args(argv)
    levels = [int(level) for level in args.levels.split(",")]
    scripts = yaml.safe_load(CONVERSATIONS.read_text(encoding="utf-8"))["conversations"]
    if not (REPO_ROOT / "models" / "cxqa.tar.gz").is_file():
        print("no models/cxqa.tar.gz: run `make model` first", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory(prefix="cxqa-latency-") as directory:
        workdir = Path(directory)
        bare_model = args.bare_model or train_bare_bot(workdir)
        servers: list[Server] = []
        try:
            print("starting the bare rasa init bot and ours (the same launcher)...", flush=True)
            bare_server, bare_url = start_bare_bot(workdir, bare_model)
            servers.append(bare_server)
            our_server, our_url = start_our_bot(workdir)
            servers.append(our_server)
            results = measure_interleaved(
                {"bare": bare_url, "ours": our_url}, levels, args.messages, args.rounds, scripts, args.think_seconds
            )
        finally:
            for server in servers:
                server.stop()
    ours, bare = results["ours"], results["bare"]

    print(
        "\ncustomers   ours p50/p95 (ms)   bare p50/p95 (ms)   ours/bare p95   ours msg/s  bare msg/s"
        "   ours/bare mean"
    )
    rows = []
    for our, base in zip(ours, bare, strict=True):
        ratio = our.p95_ms / base.p95_ms
        rows.append(
            {
                "customers": our.customers,
                "ours_p50_ms": round(our.p50_ms, 1),
                "ours_p95_ms": round(our.p95_ms, 1),
                "bare_p50_ms": round(base.p50_ms, 1),
                "bare_p95_ms": round(base.p95_ms, 1),
                "ours_mean_ms": round(our.mean_ms, 1),
                "bare_mean_ms": round(base.mean_ms, 1),
                "p95_ratio": round(ratio, 2),
                "ours_msg_s": round(our.messages_per_second, 1),
                "bare_msg_s": round(base.messages_per_second, 1),
                "errors": our.errors + base.errors,
            }
        )
        verdict = "ok" if ratio <= 1.3 else "over 1.3"
        print(
            f"{our.customers:>9}   {our.p50_ms:7.1f} / {our.p95_ms:7.1f}   {base.p50_ms:7.1f} / {base.p95_ms:7.1f}"
            f"   {ratio:6.2f} {verdict:<8}   {our.messages_per_second:8.1f}  {base.messages_per_second:9.1f}"
            f"   {our.mean_ms / base.mean_ms:14.2f}"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    if args.plot:
        plot_distributions(ours, bare, args.plot)
        print(f"latency distributions: {args.plot}")
    return 0


def plot_distributions(ours: list[LevelResult], bare: list[LevelResult], path: Path) -> None:
    """One panel per level: the share of messages answered within t, ours and bare."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(ours), figsize=(5 * len(ours), 4), squeeze=False)
    for axis, our, base in zip(axes[0], ours, bare, strict=True):
        for result, colour in ((our, "tab:blue"), (base, "tab:grey")):
            ordered = sorted(latency * 1000 for latency in result.latencies)
            shares = [(index + 1) / len(ordered) for index in range(len(ordered))]
            label = f"{result.bot}: p50 {result.p50_ms:.0f}, p95 {result.p95_ms:.0f}, mean {result.mean_ms:.0f} ms"
            axis.step(ordered, shares, where="post", color=colour, label=label)
        axis.set_xscale("log")
        axis.set_title(f"{our.customers} customer{'s' if our.customers > 1 else ''}")
        axis.set_xlabel("reply time (ms, log scale)")
        axis.set_ylabel("share of messages answered")
        axis.axhline(0.5, color="lightgrey", linewidth=0.8)
        axis.axhline(0.95, color="lightgrey", linewidth=0.8)
        axis.legend(loc="lower right", fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


if __name__ == "__main__":
    sys.exit(main())
