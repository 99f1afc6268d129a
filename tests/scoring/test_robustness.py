"""Property tests: arbitrary Unicode text and random valid conversations never crash the scorer."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.scoring.types import ConversationInput, TurnInput

WORDS = ["please", "thanks", "sorry", "!!!", "?", "I", "you", "calm down", "refund", "manager", "NOW", "n't",
         "serial number", "within 2 days", "still not working", "that worked", "\n", "😡", "ﬁ", "\u200b"]
text = st.one_of(st.text(max_size=300), st.lists(st.sampled_from(WORDS), max_size=30).map(" ".join))
turn = st.builds(
    TurnInput,
    speaker=st.sampled_from(["customer", "agent", "bot"]),
    text=text,
    ts=st.one_of(st.none(), st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1))),
    agent_id=st.one_of(st.none(), st.sampled_from(["a1", "a2"])),
)
conversation = st.builds(
    ConversationInput,
    conversation_id=st.text(min_size=1, max_size=20),
    turns=st.lists(turn, min_size=1, max_size=12).map(tuple),
    channel=st.sampled_from([None, "web_chat", "email", "phone"]),
    resolved_outcome=st.one_of(st.none(), st.booleans()),
    first_contact_resolution=st.one_of(st.none(), st.booleans()),
)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@SETTINGS
@given(text)
def test_any_text_scores_within_bounds(nlp, value):
    from analytics.scoring.conversation import clean_text

    doc = nlp(clean_text(value))
    assert 0 <= doc._.cxqa_politeness <= 1
    assert 0 <= doc._.cxqa_complaint <= 1


@SETTINGS
@given(conversation)
def test_any_conversation_scores(scorer, value):
    result = scorer.score(value)
    for dimension in result.dimensions().values():
        assert dimension.value is None or 0 <= dimension.value <= 100
        for item in dimension.evidence:
            turn_text = value.turns[item["turn"]].text
            assert 0 <= item["start"] <= item["end"] <= len(turn_text) or "\x00" in turn_text or \
                turn_text.encode("utf-8", "replace") != turn_text.encode("utf-8", "surrogatepass")
    assert result.deescalated in (None, True, False)


def test_unordered_and_missing_timestamps(scorer):
    start = datetime(2026, 1, 1, 12)
    turns = (TurnInput("agent", "Hi!", start), TurnInput("customer", "hello", start - timedelta(hours=1)),
             TurnInput("agent", "How can I help?", None))
    result = scorer.score(ConversationInput("odd", turns))
    assert result.efficiency.details["first_response_seconds"] is None
    assert result.efficiency.value is not None
