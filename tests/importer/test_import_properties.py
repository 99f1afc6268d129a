"""Property-based: malformed input always gives a clear ImportFileError and writes zero rows."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from analytics.importer.readers import ImportFileError
from analytics.importer.service import import_file
from analytics.storage import Conversation, Turn

GOOD = {
    "conversation_id": "ok-1", "channel": "email", "touchpoint": "warranty", "customer_id": "c1",
    "started_at": "2026-11-02T09:00:00Z",
    "turns": [{"speaker": "customer", "text": "hello"}, {"speaker": "agent", "agent_id": "a1", "text": "hi"}],
}
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)


def _breakages():
    """A good record with one field replaced by something of the wrong shape, or a field removed."""
    fields = st.sampled_from(["conversation_id", "channel", "turns", "started_at", "nps", "outcome"])
    replaced = st.tuples(fields, json_values).map(lambda kv: {**GOOD, kv[0]: kv[1]})
    removed = st.sampled_from(["conversation_id", "channel", "turns"]).map(
        lambda key: {k: v for k, v in GOOD.items() if k != key})
    bad_turn = json_values.map(lambda value: {**GOOD, "turns": [GOOD["turns"][0], value]})
    return replaced | removed | bad_turn


def _is_valid(record: dict) -> bool:
    from analytics.importer.records import RecordError, parse_conversation
    try:
        parse_conversation(record)
        return True
    except RecordError:
        return False


def _count(session_factory, model) -> int:
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(model))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(record=_breakages(), position=st.integers(min_value=0, max_value=5))
def test_a_broken_record_anywhere_writes_nothing(tmp_path_factory, session_factory, record, position):
    if _is_valid(record):
        return  # some replacements happen to be valid (e.g. a string id); those are not malformed input
    lines = [json.dumps({**GOOD, "conversation_id": f"ok-{i}"}) for i in range(5)]
    lines.insert(position, json.dumps(record))
    path = tmp_path_factory.mktemp("prop") / "input.jsonl"
    path.write_text("\n".join(lines) + "\n", "utf-8")
    try:
        import_file(path, session_factory)
    except ImportFileError as error:
        assert error.location == f"line {position + 1}"
        assert "expected" in str(error)
    else:
        raise AssertionError("a malformed record was accepted")
    assert _count(session_factory, Conversation) == 0
    assert _count(session_factory, Turn) == 0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(garbage=st.binary(min_size=1, max_size=200))
def test_arbitrary_bytes_never_crash_the_importer(tmp_path_factory, session_factory, garbage):
    path = tmp_path_factory.mktemp("bytes") / "input.jsonl"
    path.write_bytes(json.dumps(GOOD).encode() + b"\n" + garbage + b"\n")
    before = _count(session_factory, Conversation)
    try:
        result = import_file(path, session_factory)
    except ImportFileError as error:
        assert error.location.startswith(("line", "byte"))
        assert _count(session_factory, Conversation) == before  # nothing written
    else:
        # Accepted only if the garbage was blank (or, vanishingly rarely, a valid record).
        assert not garbage.decode("utf-8", "replace").strip() or result.validated.conversations == 2
