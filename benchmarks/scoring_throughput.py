"""Scoring throughput: conversations/s, peak memory, and the cost relative to bare spaCy tokenisation.

Generates N synthetic support conversations (about 10 turns each, seeded, streamed: never all in memory),
then in a fresh process per measurement:

- ``tokenise``: ``spacy.blank("en").pipe`` over the same turn texts (the floor);
- ``score``: the full scorer (``Scorer.score_many``) in one process;
- ``score-workers``: the same spread over ``--workers`` processes.

Each measurement reports wall time, conversations/s and the peak resident memory of its process tree; the
three run in turn ``--repeats`` times and the medians are printed (the ratio is the median of each round's).
Usage: python benchmarks/scoring_throughput.py [--quick] [--sizes 10000,100000] [--workers 2] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

CUSTOMER_OPENINGS = [
    "Hi, my {product} stopped working after {n} days.",
    "Hello, I ordered a {product} {n} days ago and it never arrived.",
    "My {product} makes a strange noise when I switch it on.",
    "This is ridiculous!!! The {product} broke AGAIN and nobody answers my emails.",
    "Can you tell me if my {product} is still under warranty? Serial {serial}.",
    "I want to cancel my order {serial}, I'm really disappointed with the delay.",
    "good morning, the display of my {product} shows error E{n}",
]
CUSTOMER_REPLIES = [
    "The serial number is {serial}.", "I bought it on the {n}th of March.", "ok", "Yes, I already tried that.",
    "It still doesn't work.", "That worked, thank you so much!", "Why does this take so long?",
    "I want to speak to a manager.", "My email is user{n}@example.com", "Thanks, that's all I needed.",
    "Fine.", "I've been waiting for {n} days, this is unacceptable.", "Great, thanks for your help!",
]
AGENT_TURNS = [
    "Hi, thanks for reaching out! I'm sorry to hear about your {product}.",
    "Could you please send me the serial number?",
    "What is the serial number?",
    "I understand how frustrating that must be. I'll make sure this gets fixed.",
    "I've created a replacement order; it will ship within 2 business days.",
    "Please try holding the power button for {n} seconds.",
    "As I already said, you should have registered the product.",
    "Let me check that for you.",
    "Your warranty runs until {n} March 2027.",
    "Is there anything else I can help you with? Have a great day!",
    "I'm transferring you to a colleague from the repairs team.",
]
PRODUCTS = ["blender", "kettle", "toaster", "coffee machine", "vacuum cleaner", "router", "air fryer", "heater"]


def conversations(count: int, seed: int = 7) -> Iterator:
    from analytics.scoring.types import ConversationInput, TurnInput

    rng = random.Random(seed)
    start = datetime(2026, 1, 1, 8)
    for number in range(count):
        values = {"product": rng.choice(PRODUCTS), "n": rng.randint(2, 60), "serial": f"SN{rng.randint(10**5, 10**6)}"}
        at = start + timedelta(minutes=7 * number)
        turns = [TurnInput("customer", rng.choice(CUSTOMER_OPENINGS).format(**values), at)]
        for index in range(1, rng.randint(8, 12)):
            at += timedelta(seconds=rng.randint(5, 240))
            values["n"] = rng.randint(2, 60)
            if index % 2:
                turns.append(TurnInput("agent", rng.choice(AGENT_TURNS).format(**values), at, "agent-1"))
            else:
                turns.append(TurnInput("customer", rng.choice(CUSTOMER_REPLIES).format(**values), at))
        yield ConversationInput(f"bench-{number}", tuple(turns), channel="web_chat",
                                resolved_outcome=None if number % 3 else True)


def texts(count: int) -> Iterator[str]:
    for conversation in conversations(count):
        for turn in conversation.turns:
            yield turn.text


def peak_memory_mb() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + children) / 1024  # ru_maxrss is in KiB on Linux; children: the largest one


def measure(mode: str, size: int, workers: int) -> dict:
    if mode == "generate":  # what both measurements below also pay: making the conversations
        started = time.perf_counter()
        turns = sum(1 for _ in texts(size))
        return {"mode": mode, "size": size, "seconds": time.perf_counter() - started, "turns": turns}
    if mode == "tokenise":
        import spacy

        nlp = spacy.blank("en")
        started = time.perf_counter()
        turns = sum(1 for _ in nlp.pipe(texts(size), batch_size=512))
        elapsed = time.perf_counter() - started
        return {"mode": mode, "size": size, "seconds": elapsed, "turns": turns, "peak_mb": peak_memory_mb()}
    from analytics.scoring.conversation import default_scorer, prepare_process_for_scoring
    from analytics.scoring.parallel import score_in_processes

    default_scorer()  # built before the clock starts, like the tokeniser
    prepare_process_for_scoring()  # as the cxqa commands do
    if mode == "score":
        scorer = default_scorer()
        started = time.perf_counter()
        done = sum(1 for _ in scorer.score_many(conversations(size)))
    else:
        started = time.perf_counter()
        done = sum(1 for _ in score_in_processes(conversations(size), workers))
    elapsed = time.perf_counter() - started
    return {"mode": mode, "size": size, "workers": workers if mode != "score" else 1, "seconds": elapsed,
            "conversations": done, "per_second": done / elapsed, "peak_mb": peak_memory_mb()}


def run_child(mode: str, size: int, workers: int) -> dict:
    command = [sys.executable, __file__, "--child", mode, "--sizes", str(size), "--workers", str(workers)]
    output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated numbers of conversations")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3, help="rounds per size (tokenise, score, workers in turn)")
    parser.add_argument("--quick", action="store_true", help="1,000 and 5,000 conversations")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    sizes = [int(size) for size in ("1000,5000" if args.quick else args.sizes).split(",")]
    if args.child:
        print(json.dumps(measure(args.child, sizes[0], args.workers)))
        return 0
    print(f"load average before: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores); medians of {args.repeats} "
          "interleaved rounds, each measurement in a fresh process")
    for size in sizes:
        rounds = []
        generate = run_child("generate", size, 1)["seconds"]
        for number in range(1, args.repeats + 1):
            tokenise = run_child("tokenise", size, 1)
            single = run_child("score", size, 1)
            parallel = run_child("score-workers", size, args.workers)
            rounds.append((tokenise, single, parallel))
            ratio = single["seconds"] / tokenise["seconds"]
            print(f"  round {number}: tokenise {tokenise['seconds']:.1f} s, score {single['seconds']:.1f} s "
                  f"({ratio:.2f}x), {args.workers} workers {parallel['seconds']:.1f} s", flush=True)
        tokenise_s = statistics.median([tokenise["seconds"] for tokenise, _, _ in rounds])
        single_s = statistics.median([single["seconds"] for _, single, _ in rounds])
        parallel_s = statistics.median([parallel["seconds"] for _, _, parallel in rounds])
        ratio = statistics.median([single["seconds"] / tokenise["seconds"] for tokenise, single, _ in rounds])
        net_ratio = statistics.median([(single["seconds"] - generate) / (tokenise["seconds"] - generate)
                            for tokenise, single, _ in rounds])
        print(f"{size:>7} conversations ({rounds[0][0]['turns']} turns); generating them takes {generate:.1f} s")
        print(f"  bare blank('en') tokenisation: {tokenise_s:7.1f} s  peak "
              f"{max(tokenise['peak_mb'] for tokenise, _, _ in rounds):6.0f} MB")
        print(f"  scoring, 1 process:            {single_s:7.1f} s  {size / single_s:6.0f} conv/s  peak "
              f"{max(single['peak_mb'] for _, single, _ in rounds):6.0f} MB  ratio to tokenisation {ratio:.2f}x "
              f"({net_ratio:.2f}x without the generation both include)")
        print(f"  scoring, {args.workers} workers:            {parallel_s:7.1f} s  {size / parallel_s:6.0f} conv/s  "
              f"peak {max(parallel['peak_mb'] for _, _, parallel in rounds):6.0f} MB (largest process)")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
