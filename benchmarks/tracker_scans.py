"""The scheduler's questions to Rasa's tracker store, as the store grows: do they read only recent events?

Rasa's ``events`` table holds every event of every conversation ever had and has indexes only on ``id`` and
``sender_id``. Every minute the scheduler asks it "who went quiet 10-55 minutes ago" (idle NPS trigger), and
every 30 s the sync asks "the newest event older than 10 s". Both used to read the whole table. This fills
an ``events`` table with N generated events (conversations of ~14 events spread over ``--days``, inserted in
time order with a few seconds of jitter, as Rasa writes them), on SQLite and PostgreSQL, then times each
question the old way (a whole-table scan) and the way cxqa asks it now, checks both give the same answer,
and prints medians and ratios. Goal: the new times stay flat as N grows.

Usage: .venv/bin/python benchmarks/tracker_scans.py [--events 200000,1000000,5000000] [--days 90] [--repeats 7]
PostgreSQL: an admin URL in CXQA_BENCH_POSTGRES_URL (default: the test server's), a database of its own is
made and dropped; skipped with a message if the server does not answer.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.engine import make_url

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from analytics.scheduler.tracker_queries import idle_senders  # noqa: E402
from analytics.sync.rasa_events_schema import create_events_table  # noqa: E402
from analytics.sync.tracker_events import EVENTS, last_event_id_at_or_before  # noqa: E402

IDLE_SECONDS = 10 * 60
MAX_IDLE_SECONDS = 55 * 60
SETTLE_SECONDS = 10.0
COLUMNS = ("id", "sender_id", "type_name", "timestamp", "intent_name", "action_name", "data")
# One conversation as Rasa stores it: (type_name, intent, action, seconds after the previous event).
CONVERSATION = [
    ("action", None, "action_session_start", 0.0),
    ("session_started", None, None, 0.01),
    ("action", None, "action_listen", 0.01),
    ("user", "ask_warranty_status", None, 2.0),
    ("user_featurization", None, None, 0.05),
    ("action", None, "warranty_status_form", 0.1),
    ("bot", None, None, 0.2),
    ("slot", None, None, 0.01),
    ("active_loop", None, None, 0.01),
    ("action", None, "action_listen", 0.01),
    ("user", "inform", None, 25.0),
    ("action", None, "action_check_warranty", 0.1),
    ("bot", None, None, 0.3),
    ("action", None, "action_listen", 0.01),
]


def generate_rows(count: int, days: float, now: float, seed: int = 11) -> Iterator[tuple[Any, ...]]:
    """``count`` events, ids in insertion order: conversations start uniformly over ``days`` before ``now``."""
    rng = random.Random(seed)
    conversations = max(1, count // len(CONVERSATION))
    span = days * 86_400
    starts = sorted(now - rng.random() * span for _ in range(conversations))
    pending: list[tuple[float, tuple[Any, ...]]] = []
    for index, start in enumerate(starts):
        sender = f"web-{index:08d}-{rng.randrange(16**6):06x}"
        stamp = start
        for type_name, intent, action, gap in CONVERSATION:
            stamp += gap * (0.5 + rng.random())
            inserted = stamp + rng.random() * 3.0  # Rasa saves the turn a little after stamping it
            data = json.dumps({"event": type_name, "timestamp": stamp, "text": "My serial is SN-1234"})
            pending.append((inserted, (sender, type_name, stamp, intent, action, data)))
    pending.sort(key=lambda item: item[0])
    for event_id, (_inserted, row) in enumerate(pending[:count], start=1):
        yield (event_id, *row)


def fill(engine: Engine, rows: Iterator[tuple[Any, ...]]) -> None:
    create_events_table(engine)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "postgresql":
            buffer = io.StringIO()
            for row in rows:
                buffer.write("\t".join(r"\N" if value is None else str(value) for value in row) + "\n")
            buffer.seek(0)
            with cursor.copy(f"COPY events ({', '.join(COLUMNS)}) FROM STDIN") as copy:  # psycopg 3
                while chunk := buffer.read(1 << 20):
                    copy.write(chunk)
        else:
            cursor.executemany(f"INSERT INTO events ({', '.join(COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
        raw.commit()
    finally:
        raw.close()
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE events"))


def idle_senders_full_scan(conn: Any, now: float) -> list[tuple[str, float]]:
    """The idle question as it was asked before: every user event of the table is read."""
    last_message = func.max(EVENTS.c.timestamp)
    rows = conn.execute(
        select(EVENTS.c.sender_id, last_message)
        .where(EVENTS.c.type_name == "user", EVENTS.c.timestamp >= now - MAX_IDLE_SECONDS)
        .group_by(EVENTS.c.sender_id)
        .having(last_message <= now - IDLE_SECONDS)
        .order_by(last_message)
    )
    return [(sender, float(last)) for sender, last in rows]


def settled_full_scan(conn: Any, before: float) -> int:
    """The sync's question as it was asked before."""
    return conn.execute(select(func.max(EVENTS.c.id)).where(EVENTS.c.timestamp <= before)).scalar() or 0


def median_ms(engine: Engine, question: Callable[[Any], Any], repeats: int) -> tuple[float, Any]:
    times, answer = [], None
    with engine.connect() as conn:
        question(conn)  # warm the cache: the scheduler asks every minute
        for _ in range(repeats):
            started = time.perf_counter()
            answer = question(conn)
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), answer


def measure(engine: Engine, label: str, count: int, days: float, repeats: int) -> dict[str, Any]:
    now = time.time()
    started = time.perf_counter()
    fill(engine, generate_rows(count, days, now))
    fill_seconds = time.perf_counter() - started
    asked_at = now + 120.0  # a little after the last conversation, so recent ones are idle
    old_idle, old_idle_answer = median_ms(engine, lambda conn: idle_senders_full_scan(conn, asked_at), repeats)
    new_idle, new_idle_answer = median_ms(
        engine, lambda conn: idle_senders(conn, asked_at, IDLE_SECONDS, MAX_IDLE_SECONDS), repeats
    )
    before = asked_at - SETTLE_SECONDS - 300.0
    old_settled, old_settled_answer = median_ms(engine, lambda conn: settled_full_scan(conn, before), repeats)
    new_settled, new_settled_answer = median_ms(engine, lambda conn: last_event_id_at_or_before(conn, before), repeats)
    if old_idle_answer != new_idle_answer or old_settled_answer != new_settled_answer:
        raise SystemExit(f"{label} {count}: the bounded questions answered differently from the full scans")
    return {
        "database": label, "events": count, "fill_s": fill_seconds, "idle_senders": len(new_idle_answer),
        "idle_old_ms": old_idle, "idle_new_ms": new_idle, "settled_old_ms": old_settled, "settled_new_ms": new_settled,
    }


def sqlite_engine(directory: Path, count: int) -> Engine:
    return create_engine(f"sqlite:///{directory / f'tracker_{count}.db'}")


def postgres_engines() -> tuple[Callable[[int], Engine], Callable[[], None]] | None:
    admin_url = make_url(os.environ.get("CXQA_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect():
            pass
    except Exception as exc:  # noqa: BLE001 (any failure to connect means: no PostgreSQL here)
        print(f"PostgreSQL skipped: {type(exc).__name__}: {str(exc).splitlines()[0]}")
        return None
    made: list[tuple[str, Engine]] = []

    def engine_for(count: int) -> Engine:
        name = f"cxqa_bench_tracker_{count}_{uuid.uuid4().hex[:6]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        engine = create_engine(admin_url.set(database=name))
        made.append((name, engine))
        return engine

    def drop_all() -> None:
        for name, engine in made:
            engine.dispose()
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return engine_for, drop_all


def print_table(results: list[dict[str, Any]]) -> None:
    print(
        f"\n{'database':<10} {'events':>10} {'fill':>7} {'idle':>5} "
        f"{'idle: scan':>11} {'bounded':>9} {'ratio':>7} {'settled: scan':>14} {'bounded':>9} {'ratio':>7}"
    )
    for row in results:
        idle_ratio = row["idle_old_ms"] / row["idle_new_ms"]
        settled_ratio = row["settled_old_ms"] / row["settled_new_ms"]
        print(
            f"{row['database']:<10} {row['events']:>10,} {row['fill_s']:>6.1f}s {row['idle_senders']:>5} "
            f"{row['idle_old_ms']:>9.1f}ms {row['idle_new_ms']:>7.2f}ms {idle_ratio:>6.0f}x "
            f"{row['settled_old_ms']:>12.1f}ms {row['settled_new_ms']:>7.2f}ms {settled_ratio:>6.0f}x"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", default="200000,1000000,5000000", help="comma-separated table sizes")
    parser.add_argument("--days", type=float, default=90.0, help="how many days of conversations they span")
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    sizes = [int(size) for size in args.events.split(",")]
    results: list[dict[str, Any]] = []
    postgres = postgres_engines()
    try:
        with tempfile.TemporaryDirectory(prefix="cxqa-tracker-bench-") as directory:
            for count in sizes:
                targets = [("sqlite", sqlite_engine(Path(directory), count))]
                if postgres:
                    targets.append(("postgresql", postgres[0](count)))
                for label, engine in targets:
                    print(f"{label}: {count:,} events ...", flush=True)
                    results.append(measure(engine, label, count, args.days, args.repeats))
                    engine.dispose()
    finally:
        if postgres:
            postgres[1]()
    print_table(sorted(results, key=lambda row: (row["database"], row["events"])))


if __name__ == "__main__":
    main()
