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


# --- untrusted text and numbers (probe finding 5) -----------------------------------------------------------

# Where each string field lives in GOOD, and the field name the error must give.
STRING_FIELDS = {
    "conversation_id": ("conversation_id",), "channel": ("channel",), "touchpoint": ("touchpoint",),
    "customer_id": ("customer_id",), "turns[0].text": ("turns", 0, "text"), "turns[1].text": ("turns", 1, "text"),
    "turns[1].agent_id": ("turns", 1, "agent_id"),
}
unsafe_characters = st.sampled_from(["\x00", "\ud800", "\udbff", "\udc00", "\udfff"]) | st.integers(
    0xD800, 0xDFFF).map(chr)


def _set(record: dict, where: tuple, value) -> dict:
    copy = json.loads(json.dumps(record))
    holder = copy
    for step in where[:-1]:
        holder = holder[step]
    holder[where[-1]] = value
    return copy


@st.composite
def _unsafe_text_records(draw) -> tuple[str, str]:
    """(JSON line, field): one string field of GOOD with a NUL or lone surrogate somewhere in it."""
    field = draw(st.sampled_from(sorted(STRING_FIELDS)))
    text = draw(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), min_size=1,
                        max_size=12).filter(lambda t: t.strip()))
    position = draw(st.integers(0, len(text)))
    value = text[:position] + draw(unsafe_characters) + text[position:]
    return json.dumps(_set(GOOD, STRING_FIELDS[field], value)), field


@st.composite
def _huge_numbers(draw) -> tuple[str, str]:
    """A JSON integer of 4,301 to 20,000 digits (Python will not convert it) in a field that needs a value."""
    field = draw(st.sampled_from(["conversation_id", "channel", "nps.score", "turns[0].text", "turns"]))
    digits = draw(st.sampled_from("123456789")) * draw(st.integers(4301, 20_000))
    where = {"nps.score": ("nps",), "turns[0].text": ("turns", 0, "text")}.get(field, (field,))
    placeholder = _set(GOOD, where, "@@")
    raw = '{"score": ' + digits + "}" if field == "nps.score" else digits
    return json.dumps(placeholder).replace('"@@"', raw), field


@st.composite
def _deeply_nested(draw) -> tuple[str, str]:
    field = draw(st.sampled_from(["turns", "nps", "outcome", "conversation_id"]))
    depth = draw(st.integers(5_000, 100_000))
    opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
    return json.dumps({**GOOD, field: "@@"}).replace('"@@"', opener * depth + "1" + closer * depth), field


@st.composite
def _odd_timestamps(draw) -> tuple[str, str]:
    """Years datetime can parse but a conversation cannot have, with offsets that push them out of range."""
    year = draw(st.integers(1, 1969) | st.integers(2101, 9999))
    offset = draw(st.sampled_from(["Z", "", "+01:00", "-01:00", "+14:00", "-12:00", "+00:30"]))
    month, day = draw(st.sampled_from([(1, 1), (12, 31), (6, 15)]))
    hour = draw(st.sampled_from([0, 12, 23]))
    stamp = f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:00:00{offset}"
    field = draw(st.sampled_from(["started_at", "turns[0].ts", "turns[1].ts"]))
    where = {"turns[0].ts": ("turns", 0, "ts"), "turns[1].ts": ("turns", 1, "ts")}.get(field, (field,))
    return json.dumps(_set(GOOD, where, stamp)), field


def _import_with_bad_line(session_factory, path, bad_line: str, position: int) -> ImportFileError:
    lines = [json.dumps({**GOOD, "conversation_id": f"ok-{i}"}) for i in range(5)]
    lines.insert(position, bad_line)
    path.write_text("\n".join(lines) + "\n", "utf-8")
    try:
        import_file(path, session_factory)
    except ImportFileError as error:
        return error
    raise AssertionError(f"accepted: {bad_line[:120]!r}")


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=_unsafe_text_records() | _huge_numbers() | _deeply_nested() | _odd_timestamps(),
       position=st.integers(min_value=0, max_value=5))
def test_untrusted_values_are_named_by_line_and_field_and_write_nothing(tmp_path_factory, session_factory, case,
                                                                        position):
    bad_line, field = case
    error = _import_with_bad_line(session_factory, tmp_path_factory.mktemp("untrusted") / "in.jsonl", bad_line,
                                  position)
    assert error.location == f"line {position + 1}"
    assert error.field == field, str(error)
    assert f"field '{field}'" in str(error)
    assert _count(session_factory, Conversation) == 0
    assert _count(session_factory, Turn) == 0


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=st.text(st.characters(blacklist_characters="\r\n\"", blacklist_categories=("Cs",)), max_size=30),
       unsafe=st.sampled_from(["\x00", "nul\x00end"]), column=st.sampled_from(["conversation_id", "text", "channel"]))
def test_csv_nul_anywhere_is_named_and_writes_nothing(tmp_path_factory, session_factory, value, unsafe, column):
    row = {"conversation_id": "a", "channel": "phone", "speaker": "customer", "text": "hi"}
    row[column] = value.replace(",", "") + unsafe
    path = tmp_path_factory.mktemp("csvnul") / "in.csv"
    path.write_text("conversation_id,channel,speaker,text\nok,phone,customer,hello\n"
                    + ",".join(row.values()) + "\n", "utf-8")
    try:
        import_file(path, session_factory)
    except ImportFileError as error:
        assert error.location == "row 3"
        assert "NUL" in str(error) or "expected" in str(error)
    else:
        raise AssertionError("a NUL was accepted")
    assert _count(session_factory, Conversation) == 0
