"""Handoff tickets with a summary, and the two-stage fallback's custom steps."""

from __future__ import annotations

from sqlalchemy import select

from actions.handoff_actions import ActionDefaultAskAffirmation, ActionDefaultFallback, ActionHandoff
from actions.services.db import get_session_factory
from analytics.storage.models import HandoffTicket
from tests.bot.conftest import make_tracker, run_action

HISTORY = [("hi", "greet"), ("is AS26000101 still covered?", "check_warranty_status"),
           ("it crackles at high volume", "inform")]


def tickets() -> list[HandoffTicket]:
    with get_session_factory()() as session:
        return list(session.scalars(select(HandoffTicket)))


def test_handoff_creates_a_ticket_with_a_summary_and_says_what_happens_next(bot_db):
    run = run_action(ActionHandoff(), make_tracker(
        sender_id="web-42", text="I want to talk to a human", intent="request_human", history=HISTORY,
        slots={"product": "Aura Speaker", "warranty_reference": "AS26000101"}))
    [ticket] = tickets()
    message = run.message("utter_handoff_created")
    assert message["ticket"] == ticket.ticket_number and ticket.ticket_number.startswith("HO-")
    assert "2 business hours" in message["expected_response"]
    assert (ticket.sender_id, ticket.reason, ticket.status) == ("web-42", "customer_request", "open")
    assert ticket.summary.startswith("Topic: warranty. Reason: customer request. Details: product Aura Speaker; "
                                     "serial AS26000101.")
    assert '"it crackles at high volume" / "I want to talk to a human"' in ticket.summary
    assert run.slots == {"handoff_ticket": ticket.ticket_number}


def test_angry_customer_is_handed_off_as_frustration(bot_db):
    run_action(ActionHandoff(), make_tracker(text="this is ridiculous!!!", intent="express_frustration",
                                             history=[("my earbuds won't pair", "tech_connectivity")]))
    [ticket] = tickets()
    assert ticket.reason == "frustration"
    assert ticket.summary.startswith("Topic: technical. Reason: frustration.")


def test_long_messages_are_shortened_in_the_summary(bot_db):
    run_action(ActionHandoff(), make_tracker(text="a" * 10_000, intent="request_human"))
    [ticket] = tickets()
    assert len(ticket.summary) < 400 and "…" in ticket.summary


def test_database_down_gives_contact_details_instead(broken_db):
    run = run_action(ActionHandoff(), make_tracker(text="human please", intent="request_human"))
    assert run.responses == ["utter_handoff_unavailable"]
    assert "support@lumio.example" in run.message("utter_handoff_unavailable")["contact"]
    assert run.slots == {"handoff_ticket": None}


def test_repeated_failure_in_the_fallback_loop_hands_off(bot_db):
    run = run_action(ActionDefaultFallback(), make_tracker(
        text="blorp", intent="nlu_fallback", history=[("zzz", "nlu_fallback")],
        active_loop="action_two_stage_fallback"))
    assert run.responses == ["utter_fallback_handoff", "utter_handoff_created"]
    assert run.events[-1]["event"] == "rewind"
    [ticket] = tickets()
    assert ticket.reason == "repeated_failure"


def test_core_fallback_outside_the_loop_asks_to_rephrase(bot_db):
    run = run_action(ActionDefaultFallback(), make_tracker(text="hmm", intent="affirm"))
    assert run.responses == ["utter_default"]
    assert [event["event"] for event in run.events] == ["rewind"]
    assert tickets() == []


def test_affirmation_describes_the_guess_in_words():
    run = run_action(ActionDefaultAskAffirmation(), make_tracker(
        text="warranty thing", intent="nlu_fallback",
        intent_ranking=[{"name": "nlu_fallback", "confidence": 0.45}, {"name": "check_warranty_status",
                                                                       "confidence": 0.4}]))
    message = run.message("utter_ask_affirmation")
    assert message["guess"] == "check the warranty status of your product"
    assert [b["payload"] for b in message["buttons"]] == ["/check_warranty_status", "/out_of_scope"]


def test_affirmation_asks_to_rephrase_when_the_guess_is_not_describable():
    run = run_action(ActionDefaultAskAffirmation(), make_tracker(
        text="🙂", intent="nlu_fallback",
        intent_ranking=[{"name": "nlu_fallback", "confidence": 0.45}, {"name": "affirm", "confidence": 0.3}]))
    assert run.responses == ["utter_ask_rephrase"]
