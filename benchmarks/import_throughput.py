"""Import throughput and memory: generated conversations into a fresh SQLite database.

    .venv/bin/python benchmarks/import_throughput.py [--sizes 10000,100000] [--format jsonl|csv]

Each size runs in its own process so that peak memory (max RSS) is that import's alone. Goal:
>= 2,000 conversations/s, and peak memory flat in the file size (ratio of the largest to the smallest ~1).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CUSTOMER_LINES = [
    "Hi, my blender stopped working after a few months, is it under warranty?",
    "My headphones won't pair over Bluetooth with my phone.",
    "The oven shows error E42, what does it mean?",
    "This is the second time it broke!!! I want a refund.",
    "Thanks, that fixed it.",
    "I already told you the serial number.",
]
AGENT_LINES = [
    "Thank you for reaching out! Could you send me the serial number, please?",
    "I'm sorry to hear that. I'll make sure a replacement ships today.",
    "Please hold the power button for 7 seconds until the light flashes blue.",
    "Your product is covered until 14 March 2028.",
    "You're welcome, have a lovely day!",
]


def generate(path: Path, count: int, seed: int = 7) -> None:
    """Write ``count`` conversations of about 10 turns in the import format (JSON Lines)."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8") as out:
        for index in range(count):
            turns = []
            for turn_index in range(rng.randint(8, 12)):
                minute = f"2026-11-02T09:{turn_index:02d}:00Z"
                if turn_index % 2 == 0:
                    turns.append({"speaker": "customer", "text": rng.choice(CUSTOMER_LINES), "ts": minute})
                else:
                    turns.append({"speaker": "agent", "agent_id": f"agent-{rng.randint(1, 50):02d}",
                                  "text": rng.choice(AGENT_LINES), "ts": minute})
            record = {
                "conversation_id": f"bench-{index}", "channel": rng.choice(["email", "phone", "web_chat"]),
                "touchpoint": rng.choice(["warranty", "technical", "billing"]),
                "customer_id": f"cust-{rng.randint(1, count // 3 + 1)}",
                "segment": rng.choice(["consumer", "business"]),
                "started_at": "2026-11-02T09:00:00Z", "turns": turns,
                "outcome": {"resolved": rng.random() < 0.7},
            }
            if rng.random() < 0.3:
                record["nps"] = {"score": rng.randint(0, 10), "comment": "generated"}
            out.write(json.dumps(record) + "\n")


def run_one(count: int) -> dict:
    """Generate, then import into a new SQLite database, in this process; report figures as a dict."""
    from analytics.importer.service import import_file
    from analytics.storage import make_engine, make_session_factory
    from analytics.storage.migrate import upgrade

    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "conversations.jsonl"
        generate(data, count)
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        upgrade(engine)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        started = time.perf_counter()
        result = import_file(data, make_session_factory(engine))
        elapsed = time.perf_counter() - started
        engine.dispose()
        assert result.written.conversations == count, result
        return {
            "conversations": count, "turns": result.written.turns, "file_mb": data.stat().st_size / 1e6,
            "seconds": elapsed, "conversations_per_s": count / elapsed,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "rss_before_import_mb": rss_before / 1024,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated conversation counts")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_one(args.child)))
        return
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        output = subprocess.run([sys.executable, __file__, "--child", str(size)], check=True,
                                capture_output=True, text=True).stdout
        rows.append(json.loads(output.strip().splitlines()[-1]))
        row = rows[-1]
        print(f"{row['conversations']:>8} conversations ({row['turns']} turns, {row['file_mb']:.0f} MB): "
              f"{row['seconds']:.1f} s, {row['conversations_per_s']:,.0f} conversations/s, "
              f"peak RSS {row['peak_rss_mb']:.0f} MB (before import {row['rss_before_import_mb']:.0f} MB)")
    if len(rows) > 1:
        ratio = rows[-1]["peak_rss_mb"] / rows[0]["peak_rss_mb"]
        print(f"peak memory ratio {rows[-1]['conversations']} / {rows[0]['conversations']}: {ratio:.2f} "
              f"(file size ratio {rows[-1]['file_mb'] / rows[0]['file_mb']:.0f}x)")
    slowest = min(row["conversations_per_s"] for row in rows)
    print(f"goal >= 2,000 conversations/s: {'met' if slowest >= 2000 else 'NOT met'} (slowest {slowest:,.0f}/s)")


if __name__ == "__main__":
    main()
