"""Turn-level models: P(polite) of agent/bot turns and P(complaint) of customer turns, 0.5 the threshold."""

from __future__ import annotations

import pytest

POLITE = [
    "Thank you so much for your patience! Could you please send me a photo of the label?",
    "I'm sorry for the trouble. I understand how frustrating this must be, and I'll make sure it is fixed.",
    "Hi Maria, thanks for reaching out. Would you mind checking the serial number on the back?",
]
IMPOLITE = [
    "As I already said, that's not my problem.",
    "You should have read the manual. Calm down.",
    "Why didn't you register the product? Just send the receipt.",
]
COMPLAINTS = [
    "This is ridiculous!!! Third time I'm writing and nobody answers.",
    "I want to speak to your manager right now.",
    "If this isn't fixed today I'll cancel my subscription and leave a one star review.",
    "I'm disputing the charge with my bank, I'm fed up.",
    "I'm really disappointed, the kettle broke after a week. Unacceptable.",
    "WHY IS THIS STILL NOT WORKING?!",
]
NOT_COMPLAINTS = [
    "Hi, how do I descale my coffee machine?",
    "No problem at all, thanks!",
    "Thanks, that fixed it!",
    "My order number is 55120.",
    "Not bad, it works now.",
    "",
]


@pytest.mark.parametrize("text", POLITE)
def test_polite_turns(nlp, text):
    assert nlp(text)._.cxqa_politeness >= 0.5


@pytest.mark.parametrize("text", IMPOLITE)
def test_impolite_turns(nlp, text):
    assert nlp(text)._.cxqa_politeness < 0.5


@pytest.mark.parametrize("text", COMPLAINTS)
def test_complaints(nlp, text):
    assert nlp(text)._.cxqa_complaint >= 0.5


@pytest.mark.parametrize("text", NOT_COMPLAINTS)
def test_not_complaints(nlp, text):
    assert nlp(text)._.cxqa_complaint < 0.5


def test_intensity_grows_with_anger_threats_caps_and_bangs(nlp):
    calm = nlp("The kettle stopped working.")._.cxqa_complaint
    annoyed = nlp("The kettle stopped working, I'm really disappointed.")._.cxqa_complaint
    angry = nlp("The kettle stopped working AGAIN!!! This is RIDICULOUS, I want a refund or I'll call my bank.")
    assert calm < annoyed < angry._.cxqa_complaint
    assert {"ANGER", "EXCLAMATIONS", "SHOUTING", "CHARGEBACK"} <= set(angry._.cxqa_complaint_cues)


def test_negation_drops_a_negative_cue(nlp):
    assert nlp("No problem.")._.cxqa_complaint < nlp("Big problem.")._.cxqa_complaint
    assert "NEGATIVE_LEXICON" not in nlp("I'm not angry, just asking.")._.cxqa_complaint_cues


def test_each_dimension_only_for_its_speaker(nlp):
    doc = nlp.make_doc("Thanks so much!")
    doc.user_data["cxqa_speaker"] = "customer"
    doc = nlp(doc)
    assert doc._.cxqa_politeness is None and doc._.cxqa_complaint is not None
    doc = nlp.make_doc("Thanks so much!")
    doc.user_data["cxqa_speaker"] = "bot"
    doc = nlp(doc)
    assert doc._.cxqa_politeness is not None and doc._.cxqa_complaint is None


def test_contributions_explain_the_probability(nlp):
    contributions = nlp("Sorry, as I already said: calm down.")._.cxqa_politeness_contributions
    assert contributions["DISMISSIVE"] < -1
    assert contributions["APOLOGIZING"] > 0
