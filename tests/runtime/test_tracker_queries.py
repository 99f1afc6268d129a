"""The scheduler's and the sync's questions to Rasa's tracker store read only recent events (SQLite and
PostgreSQL): the bisection by id, the newest settled event, and the idle senders, each checked against
the whole-table answer. Timings at millions of events: benchmarks/tracker_scans.py."""

from __future__ import annotations

import json
import random

import pytest
from sqlalchemy import event, func, select

from analytics.scheduler.tracker_queries import LATE_INSERT_MARGIN_SECONDS, idle_senders
from analytics.sync.tracker_events import EVENTS, first_event_id_since, last_event_id_at_or_before
from tests.support.tracker_fixture import insert_events

NOW = 1_800_000_000.0
MINUTE = 60.0


def row(event_id: int, sender: str, type_name: str, timestamp: float | None) -> dict:
    return {
        "id": event_id, "sender_id": sender, "type_name": type_name, "timestamp": timestamp,
        "intent_name": None, "action_name": None, "data": json.dumps({"event": type_name}),
    }


def rows_with_gaps(rng: random.Random, count: int) -> list[dict]:
    """Events stamped in id order, with gaps in the ids (PostgreSQL sequences skip) and a few null stamps."""
    rows, event_id, stamp = [], 0, NOW - 3600 * 24
    for _ in range(count):
        event_id += rng.choice([1, 1, 1, 2, 7])
        stamp += rng.random() * 30
        timestamp = None if rng.random() < 0.03 else stamp
        rows.append(row(event_id, f"s{rng.randrange(20)}", rng.choice(["user", "bot", "action"]), timestamp))
    return rows


def everything(tracker_engine) -> list:
    with tracker_engine.connect() as conn:
        return conn.execute(select(EVENTS.c.id, EVENTS.c.timestamp).order_by(EVENTS.c.id)).all()


def test_first_event_id_since_splits_older_from_newer(tracker_engine):
    rng = random.Random(5)
    insert_events(tracker_engine, rows_with_gaps(rng, 400))
    table = everything(tracker_engine)
    stamps = [stamp for _id, stamp in table if stamp is not None]
    asked = [stamps[0] - 1, stamps[0], stamps[-1], stamps[-1] + 1, *rng.sample(stamps, 25)]
    asked += [stamp + 0.001 for stamp in rng.sample(stamps, 10)]
    with tracker_engine.connect() as conn:
        for timestamp in asked:
            boundary = first_event_id_since(conn, timestamp)
            older = [stamp for event_id, stamp in table if event_id < boundary]
            newer = [stamp for event_id, stamp in table if event_id >= boundary]
            assert all(stamp is None or stamp < timestamp for stamp in older), timestamp
            assert all(stamp is None or stamp >= timestamp for stamp in newer), timestamp
            stamped_newer = [stamp for stamp in newer if stamp is not None]
            assert stamped_newer == [stamp for stamp in stamps if stamp >= timestamp]  # none lost


def test_first_event_id_since_on_an_empty_table_and_past_the_newest(tracker_engine):
    with tracker_engine.connect() as conn:
        assert first_event_id_since(conn, NOW) == 0
    insert_events(tracker_engine, [row(3, "a", "user", NOW - 10), row(9, "a", "bot", NOW - 5)])
    with tracker_engine.connect() as conn:
        assert first_event_id_since(conn, NOW) == 10
        assert first_event_id_since(conn, NOW - 100) == 0


def test_first_event_id_since_asks_a_few_primary_key_lookups(tracker_engine):
    insert_events(tracker_engine, rows_with_gaps(random.Random(8), 2000))
    statements: list[str] = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731 (conn, cursor, statement, ...)
    event.listen(tracker_engine, "before_cursor_execute", listener)
    try:
        with tracker_engine.connect() as conn:
            first_event_id_since(conn, NOW - 3600 * 10)
    finally:
        event.remove(tracker_engine, "before_cursor_execute", listener)
    # ids reach ~5,600: bisection needs about log2 of that (13), plus one for the newest id
    assert 5 <= len(statements) <= 15, len(statements)


def test_last_event_id_at_or_before_is_the_newest_settled_event(tracker_engine):
    rng = random.Random(13)
    insert_events(tracker_engine, rows_with_gaps(rng, 300))
    table = everything(tracker_engine)
    stamps = [stamp for _id, stamp in table if stamp is not None]
    with tracker_engine.connect() as conn:
        for timestamp in [stamps[0] - 1, stamps[-1], *rng.sample(stamps, 20)]:
            expected = conn.execute(select(func.max(EVENTS.c.id)).where(EVENTS.c.timestamp <= timestamp)).scalar()
            assert last_event_id_at_or_before(conn, timestamp) == (expected or 0)


def test_idle_senders_finds_who_went_quiet_between_the_limits(tracker_engine):
    idle, max_idle = 10 * MINUTE, 55 * MINUTE
    rows, event_id = [], 0

    def add(sender: str, type_name: str, minutes_ago: float) -> None:
        nonlocal event_id
        event_id += 1
        rows.append(row(event_id, sender, type_name, NOW - minutes_ago * MINUTE))

    for day in range(30, 0, -1):  # a month of older conversations, all long quiet
        add(f"old-{day}", "user", day * 24 * 60)
        add(f"old-{day}", "bot", day * 24 * 60 - 0.1)
    add("too-long-ago", "user", 70)
    add("quiet", "user", 40)
    add("quiet", "bot", 39.9)  # only customer messages count
    add("quiet-later", "user", 30)
    add("came-back", "user", 50)
    add("came-back", "user", 5)  # spoke again 5 minutes ago: not idle yet
    add("bot-only", "bot", 20)
    add("saved-late", "user", 45)  # stamped before "quiet-later" spoke, stored after it (a slow action)
    insert_events(tracker_engine, rows)
    with tracker_engine.connect() as conn:
        found = idle_senders(conn, NOW, idle, max_idle)
    assert [sender for sender, _last in found] == ["saved-late", "quiet", "quiet-later"]
    assert found[1] == ("quiet", NOW - 40 * MINUTE)


def rows_in_storage_order(events: list[tuple[str, str, float]]) -> list[dict]:
    return [row(index + 1, sender, type_name, stamp) for index, (sender, type_name, stamp) in enumerate(events)]


@pytest.mark.parametrize("late_minutes", [4, LATE_INSERT_MARGIN_SECONDS / MINUTE - 0.5])
def test_idle_senders_sees_a_customer_stored_before_a_burst_of_slow_saves(tracker_engine, late_minutes):
    """Ids follow when Rasa stored an event, not its stamp. A customer writes 54 minutes ago; then a slow
    server stores a thousand events ``late_minutes`` after their stamps. Some are stamped before the idle
    window opens, so a bisection aimed at the window's very start would land past the customer; aimed a
    margin earlier it cannot."""
    minute_ago = lambda minutes: NOW - minutes * MINUTE  # noqa: E731
    events = [(f"earlier-{index}", "bot", minute_ago(120 - index * 0.1)) for index in range(650)]  # to 55 min
    events.append(("customer", "user", minute_ago(54)))
    for index in range(1000):  # stored from 53.9 to 50 minutes ago
        stored = 53.9 - index * 3.9 / 1000
        events.append((f"slow-{index}", "action", minute_ago(stored + late_minutes)))
    events += [(f"later-{index}", "bot", minute_ago(50 - index * 0.1)) for index in range(500)]  # to now
    insert_events(tracker_engine, rows_in_storage_order(events))
    with tracker_engine.connect() as conn:
        found = idle_senders(conn, NOW, 10 * MINUTE, 55 * MINUTE)
    assert found == [("customer", minute_ago(54))]


@pytest.mark.parametrize("stored", ["first", "last"])
def test_the_window_is_found_by_id_not_by_reading_the_table(tracker_engine, stored):
    """An event whose stamp is far from when it was stored (a server clock days ahead) is found only where
    ids put it: stored among today's events it counts, stored with last week's it is never read."""
    week = [row(index + 2, f"last-week-{index}", "user", NOW - 7 * 86_400 + index * MINUTE) for index in range(500)]
    skewed = row(1 if stored == "first" else len(week) + 2, "skewed-clock", "user", NOW - 20 * MINUTE)
    insert_events(tracker_engine, [skewed, *week])
    with tracker_engine.connect() as conn:
        found = [sender for sender, _last in idle_senders(conn, NOW, 10 * MINUTE, 55 * MINUTE)]
    assert found == ([] if stored == "first" else ["skewed-clock"])
