"""Record real tracker rows for the sync tests: ``python -m tests.support.record_tracker_events [MODEL]``.

Runs the scripted conversations of tests/runtime/data/recorded_conversations.yml through the real bot (a
RuntimeStack without page or scheduler), then writes Rasa's ``events`` rows to
tests/runtime/data/tracker_events.jsonl and the handoff tickets the actions opened to handoff_tickets.jsonl.
Re-run it when the bot's flows change; the sync tests only rely on what the script file says happened.
"""

from __future__ import annotations

import json
import sys
import tempfile
from datetime import datetime
from pathlib import Path

import yaml
from sqlalchemy import select, text

from analytics.storage.db import make_engine, make_session_factory
from analytics.storage.models import HandoffTicket
from analytics.sync.tracker_db import make_tracker_engine
from tests.support.rasa_servers import RuntimeStack, model_path
from tests.support.tracker_fixture import DATA_DIR, RECORDED_EVENTS, RECORDED_TICKETS

SCRIPT = DATA_DIR / "recorded_conversations.yml"


def main(argv: list[str]) -> int:
    model = Path(argv[0]) if argv else model_path()
    if model is None or not model.is_file():
        print("no model: pass its path, or run `make model`", file=sys.stderr)
        return 2
    script = yaml.safe_load(SCRIPT.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory(prefix="cxqa-record-") as directory:
        stack = RuntimeStack(Path(directory), model, web=False, scheduler=False)
        with stack:
            for conversation in script["conversations"]:
                for message in conversation["messages"]:
                    replies = stack.say(conversation["sender"], str(message))
                    print(f"{conversation['sender']}> {message}\n   " + " | ".join(r.get("text", "?") for r in replies))
        tracker = make_tracker_engine(stack.tracker_url)
        with tracker.connect() as conn:
            rows = (
                conn.execute(
                    text(
                        "SELECT id, sender_id, type_name, timestamp, intent_name, action_name, data "
                        "FROM events ORDER BY id"
                    )
                )
                .mappings()
                .all()
            )
        RECORDED_EVENTS.write_text("".join(json.dumps(dict(row)) + "\n" for row in rows), encoding="utf-8")
        engine = make_engine(stack.database_url)
        with make_session_factory(engine)() as session:
            tickets = session.scalars(select(HandoffTicket).order_by(HandoffTicket.id)).all()
            lines = [
                json.dumps(
                    {
                        name: _plain(getattr(ticket, name))
                        for name in ("ticket_number", "sender_id", "reason", "summary", "status", "created_at")
                    }
                )
                for ticket in tickets
            ]
        RECORDED_TICKETS.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        engine.dispose()
        tracker.dispose()
    print(f"wrote {len(rows)} events and {len(lines)} tickets")
    return 0


def _plain(value):
    return value.isoformat() if isinstance(value, datetime) else value


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
