"""Hand-written transcripts for each dimension, including the subtle ones: curt but not rude, polite but
unresolved, a complaint about the product rather than the agent."""

from __future__ import annotations

from analytics.scoring.types import ConversationInput, TurnInput
from tests.scoring.builders import T0, transcript

POLITE_RESOLVED = [
    ("customer", "Hi, my toaster stopped heating."),
    ("agent", "Hi, thanks for reaching out! I'm sorry to hear that. Could you please send me the serial number?"),
    ("customer", "Sure, it's TX-2231."),
    ("agent", "Thank you! I've created a replacement order; it will ship within 2 business days."),
    ("customer", "Great, thanks for your help!"),
    ("agent", "You're welcome. Is there anything else I can help you with? Have a lovely day!"),
]
CURT = [
    ("customer", "Hi, my toaster stopped heating."),
    ("agent", "Serial number?"),
    ("customer", "TX-2231."),
    ("agent", "Replacement ordered. Ships in 2 days."),
    ("customer", "ok thanks"),
]
RUDE = [
    ("customer", "Hi, my toaster stopped heating."),
    ("agent", "Serial number?"),
    ("customer", "I sent it yesterday, TX-2231."),
    ("agent", "As I already said, you should have registered the product. That's not my problem."),
    ("customer", "Wow. OK."),
]


def test_politeness_orders_polite_curt_rude(scorer):
    polite = scorer.score(transcript(POLITE_RESOLVED)).politeness
    curt = scorer.score(transcript(CURT)).politeness
    rude = scorer.score(transcript(RUDE)).politeness
    assert polite.value > 75
    assert 30 <= curt.value <= 65, "curt is not rude"
    assert rude.value < 30
    assert polite.value > curt.value > rude.value
    assert curt.details["rude_turns"] == []
    assert rude.details["rude_turns"] == [3]
    rude_labels = {item["label"] for item in rude.evidence}
    assert {"DISMISSIVE", "BLAMING"} <= rude_labels
    assert all(item["speaker"] == "agent" for item in rude.evidence)


def test_evidence_points_at_character_spans(scorer):
    conversation = transcript(RUDE)
    result = scorer.score(conversation)
    for item in result.politeness.evidence:
        text = conversation.turns[item["turn"]].text
        assert text[item["start"]:item["end"]] == item["text"]


def test_polite_but_unresolved(scorer):
    result = scorer.score(transcript([
        ("customer", "My dishwasher shows error E24."),
        ("agent", "I'm sorry about that! Could you please try cleaning the filter?"),
        ("customer", "I tried, it still doesn't work."),
        ("agent", "Thank you for trying. I'm afraid I can't find anything else today, I'm sorry."),
        ("customer", "OK, bye."),
    ]))
    assert result.politeness.value > 70
    assert result.resolved is False
    assert result.efficiency.details["resolved_basis"] == "reopened"
    assert result.efficiency.value < 65


def test_outcome_given_at_import_wins(scorer):
    result = scorer.score(transcript(CURT, resolved_outcome=False))
    assert result.resolved is False and result.efficiency.details["resolved_basis"] == "outcome"
    result = scorer.score(transcript(RUDE, resolved_outcome=True))
    assert result.resolved is True


def test_resolved_by_confirmation_or_by_remedy_without_reopening(scorer):
    confirmed = scorer.score(transcript(POLITE_RESOLVED))
    assert confirmed.resolved and confirmed.efficiency.details["resolved_basis"] == "confirmation"
    remedy = scorer.score(transcript([
        ("customer", "The blender lid cracked."),
        ("agent", "I've shipped a new lid to you, tracking number 8812."),
    ]))
    assert remedy.resolved and remedy.efficiency.details["resolved_basis"] == "remedy"
    reopened = scorer.score(transcript([
        ("customer", "The blender lid cracked."),
        ("agent", "I've shipped a new lid to you."),
        ("customer", "The new one still doesn't fit."),
    ]))
    assert not reopened.resolved


def test_timings_turns_repeats_and_transfers(scorer):
    turns = (
        TurnInput("customer", "Hi, my heater is making a noise.", T0),
        TurnInput("bot", "Hello! Could you tell me the serial number?", T0.replace(second=2)),
        TurnInput("customer", "HT-77", T0.replace(second=30)),
        TurnInput("bot", "I'm connecting you to a colleague.", T0.replace(second=31)),
        TurnInput("agent", "Hi, I'm Jo. What is the serial number please?", T0.replace(minute=3), "jo"),
        TurnInput("customer", "HT-77, as I told the bot.", T0.replace(minute=4)),
        TurnInput("agent", "Thanks. I've booked a repair for Friday.", T0.replace(minute=6), "jo"),
    )
    result = scorer.score(ConversationInput("c9", turns, channel="web_chat"))
    details = result.efficiency.details
    assert details["first_response_seconds"] == 2
    assert details["median_agent_response_seconds"] == 120  # 150 s and 90 s waits
    assert details["handle_seconds"] == 360
    assert details["turns"] == 7
    assert details["repeated_questions"] == 1
    assert any(item.get("slot") == "serial_number" for item in result.efficiency.evidence)
    assert details["transfers"] == 1
    assert details["first_contact_resolution"] is None
    assert details["components"]["first_contact_resolution"] is None  # unknown: left out of the score


def test_first_contact_resolution_counts_when_known(scorer):
    yes = scorer.score(transcript(POLITE_RESOLVED, first_contact_resolution=True)).efficiency
    no = scorer.score(transcript(POLITE_RESOLVED, first_contact_resolution=False)).efficiency
    assert yes.value == 100
    assert no.value == 85


def test_deescalated_complaint(scorer):
    result = scorer.score(transcript([
        ("customer", "This is ridiculous!!! My order is two weeks late and nobody answers my emails."),
        ("agent", "I'm so sorry, I understand how frustrating that must be. I'll make sure it gets sorted: "
                  "I've sent a replacement by express, it will arrive by tomorrow."),
        ("customer", "OK, thank you."),
        ("customer", "Got it, that's all I needed."),
    ]))
    details = result.deescalation.details
    assert result.complaint is True and result.deescalated is True
    assert details["peak_turn"] == 0 and details["final"] < 0.5
    assert {"APOLOGIZING", "EMPATHY", "OWNERSHIP", "NEXT_STEP_TIME"} <= set(details["moves_after_peak"])
    assert result.deescalation.value >= 80
    assert any(item["label"] == "ANGER" for item in result.deescalation.evidence)


def test_escalated_complaint(scorer):
    result = scorer.score(transcript([
        ("customer", "My order is two weeks late, I'm really disappointed."),
        ("agent", "As I already said, the courier is not my problem."),
        ("customer", "Unbelievable!!! I want to speak to a manager and I'll dispute the charge with my bank."),
    ]))
    assert result.complaint is True and result.deescalated is False
    assert result.deescalation.value < 30
    assert result.deescalation.details["peak_turn"] == 2


def test_no_complaint_means_null(scorer):
    result = scorer.score(transcript(POLITE_RESOLVED))
    assert result.complaint is False
    assert result.deescalated is None and result.deescalation.value is None


def test_complaint_about_the_product_not_the_agent(scorer):
    result = scorer.score(transcript([
        ("customer", "Honestly this vacuum is rubbish, it broke after two weeks. I'm so frustrated."),
        ("agent", "I'm sorry it let you down, that must be really annoying. I'll arrange a free repair; "
                  "the courier will collect it tomorrow."),
        ("customer", "Thanks, that works for me."),
    ]))
    assert result.complaint is True
    assert result.deescalated is True
    assert result.politeness.value > 75  # the agent is not to blame for the product
    assert result.politeness.details["rude_turns"] == []


def test_empty_and_customer_only_conversations(scorer):
    result = scorer.score(transcript([("customer", "")]))
    assert result.politeness.value is None
    assert result.deescalation.value is None
    assert result.efficiency.value is not None
    bot_only = scorer.score(transcript([("bot", "Hello! How can I help?")]))
    assert bot_only.politeness.value is not None
