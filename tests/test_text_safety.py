"""The one definition of text a database cannot store, and the live writes that clean it (probe finding 4)."""

from __future__ import annotations

from datetime import datetime

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from actions.services.claims import open_claim
from actions.services.handoff import open_ticket
from analytics.nps.recording import record_survey_durably
from analytics.storage.models import Claim, HandoffTicket, NpsResponse
from analytics.text_safety import clean_json, clean_text, unsafe_text_problem

NOW = datetime(2026, 11, 2, 10, 0)


def test_clean_text_drops_nul_and_replaces_lone_surrogates():
    assert clean_text("\ud800 hi") == "\ufffd hi"
    assert clean_text("a\x00b\x00") == "ab"
    assert clean_text("\udc00\ud800") == "\ufffd\ufffd"
    assert clean_text("\ud83d\ude00") == "\U0001f600"  # a pair left as two code points is the emoji it encodes
    plain = "nothing to clean \U0001f600"
    assert clean_text(plain) is plain
    assert clean_json({"k\x00": ["\ud800", 1, {"x": "\x00"}]}) == {"k": ["\ufffd", 1, {"x": ""}]}


@given(st.text())
def test_cleaned_text_is_always_storable_utf8(text):
    cleaned = clean_text(text)
    cleaned.encode("utf-8")  # raises on any surrogate left
    assert "\x00" not in cleaned and unsafe_text_problem(cleaned) is None
    assert (unsafe_text_problem(text) is None) == (cleaned == text)


def test_unsafe_text_problem_names_the_character_and_position():
    assert unsafe_text_problem("ok\x00") == "a NUL character at position 3"
    assert unsafe_text_problem("\udfff") == "a lone surrogate (\\udfff) at position 1"
    assert unsafe_text_problem("caf\u00e9 \U0001f600") is None


def test_the_actions_store_a_customer_text_with_nul_and_surrogates(session_factory):
    with session_factory.begin() as session:
        open_ticket(session, sender_id="web-\x001", reason="frustration", summary='Customer said: "\ud800 help\x00"',
                    now=NOW)
        open_claim(session, serial_number="AS26000101", problem="cracked \udfff lid\x00", contact_email="a@b.example",
                   sender_id="web-\x001", now=NOW)
    with session_factory() as session:
        ticket = session.scalars(select(HandoffTicket)).one()
        claim = session.scalars(select(Claim)).one()
    assert (ticket.summary, ticket.sender_id) == ('Customer said: "\ufffd help"', "web-1")
    assert (claim.problem, claim.sender_id) == ("cracked \ufffd lid", "web-1")


def test_an_nps_answer_from_the_chat_is_cleaned_not_refused(session_factory, tmp_path):
    result = record_survey_durably(session_factory, spool_path=tmp_path / "spool.jsonl", source="rasa",
                                   survey_key="web-1:1\x00", status="answered", score=2,
                                   comment="\u0000slow \ud800", customer_id="cust\udc00", responded_at=NOW)
    assert result.stored
    with session_factory() as session:
        stored = session.scalars(select(NpsResponse)).one()
    assert (stored.survey_key, stored.comment, stored.customer_id) == ("web-1:1", "slow \ufffd", "cust\ufffd")
