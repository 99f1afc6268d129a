"""One test sentence per strategy, move and cue (as ConvoKit tests its strategies), and sentences that must
not fire them."""

from __future__ import annotations

import pytest

from analytics.scoring.patterns import as_phrases

# label -> a sentence that shows it
EXAMPLES = {
    "GRATITUDE": "Thanks for the quick answer.",
    "APOLOGIZING": "Sorry about the confusion earlier.",
    "PLEASE": "Could you please check the cable?",
    "PLEASE_START": "Please send the receipt.",
    "HEDGES": "I think the fuse might be the problem.",
    "FACTUALITY": "In fact the warranty covers it.",
    "DEFERENCE": "Great question, the filter is washable.",
    "INDIRECT_GREETING": "Hello, what seems to be the issue?",
    "INDIRECT_BTW": "By the way, the manual is online.",
    "FIRST_PERSON": "The manual that I found is outdated.",
    "FIRST_PERSON_START": "I checked the order status.",
    "FIRST_PERSON_PLURAL": "We can replace the unit.",
    "SECOND_PERSON": "The courier will call you tomorrow.",
    "SECOND_PERSON_START": "You can reset it from the menu.",
    "DIRECT_QUESTION": "What model do you have?",
    "DIRECT_START": "So the light is red?",
    "COUNTERFACTUAL_MODAL": "Would you try restarting it?",
    "INDICATIVE_MODAL": "Can you restart it?",
    "POSITIVE_LEXICON": "That is a wonderful idea.",
    "NEGATIVE_LEXICON": "The box arrived damaged.",
    "EMPATHY": "I understand how frustrating this must be.",
    "ACKNOWLEDGEMENT": "Thanks for letting me know about the noise.",
    "OWNERSHIP": "I'll make sure the refund goes through.",
    "GREETING": "Hi there, how can I help you today?",
    "CLOSING": "Is there anything else I can help with? Have a nice day!",
    "DISMISSIVE": "As I already said, calm down.",
    "BLAMING": "You should have registered the product.",
    "NEXT_STEP_TIME": "A technician will call you within 24 hours.",
    "TRANSFER": "I'm transferring you to the repairs team.",
    "REMEDY": "I've issued a full refund to your card.",
    "CONFIRMATION": "That worked, thank you!",
    "REOPEN": "It still doesn't work.",
    "ASK": "Could you send me the serial number?",
    "DISSATISFACTION": "I'm very disappointed with this kettle.",
    "ANGER": "This is absolutely ridiculous.",
    "CANCEL_THREAT": "I want to cancel my subscription.",
    "MANAGER_REQUEST": "Let me speak to a manager.",
    "REVIEW_THREAT": "I'll leave a one star review.",
    "CHARGEBACK": "I will file a chargeback with my bank.",
    "SHOUTING": "WHY IS NOBODY ANSWERING",
    "EXCLAMATIONS": "Where is my parcel?!!",
    "EXCLAMATION": "It arrived!",
    "INTENSIFIER": "It is extremely loud.",
    "NEGATION": "It does not turn on.",
}

# label -> sentences that look close but must not fire it
NON_EXAMPLES = {
    "PLEASE": ["Please send the receipt."],  # at the start: PLEASE_START, not PLEASE
    "PLEASE_START": ["Could you please check the cable?"],
    "FIRST_PERSON": ["I checked the order status."],  # at the start: FIRST_PERSON_START
    "SECOND_PERSON_START": ["The courier will call you tomorrow."],
    "DIRECT_QUESTION": ["I know what happened."],
    "DISMISSIVE": ["I said I would call you back, and I did.", "Stay calm, the data is safe."],
    "BLAMING": ["You should receive it tomorrow."],
    "REMEDY": ["How do I reset my router?"],
    "CONFIRMATION": ["It still does not work."],
    "NEXT_STEP_TIME": ["I bought it within 2 days of the sale."],
    "SHOUTING": ["My USB cable is fine."],  # one acronym is not shouting
    "CANCEL_THREAT": ["Can I change my order?"],
    "EXCLAMATIONS": ["It arrived!"],
}


@pytest.mark.parametrize(("label", "sentence"), sorted(EXAMPLES.items()))
def test_each_strategy_fires_on_its_example(nlp, label, sentence):
    doc = nlp(sentence)
    assert doc._.cxqa_label_counts.get(label), f"{label} did not fire on {sentence!r}: {dict(doc._.cxqa_label_counts)}"


@pytest.mark.parametrize(("label", "sentence"),
                         [(label, sentence) for label, sentences in sorted(NON_EXAMPLES.items())
                          for sentence in sentences])
def test_look_alikes_do_not_fire(nlp, label, sentence):
    doc = nlp(sentence)
    if label == "SHOUTING":
        assert not doc._.cxqa_complaint_cues.get("SHOUTING")
    else:
        assert not doc._.cxqa_label_counts.get(label), f"{label} fired on {sentence!r}"


def test_every_politeness_and_service_label_has_an_example():
    from analytics.scoring.resources import load_yaml

    labels = load_yaml("labels.yml")
    wanted = set(labels["politeness_strategies"]) | set(labels["service_strategies"]) | set(labels["complaint_cues"])
    wanted |= set(labels["deescalation_moves"]) | set(labels["efficiency_markers"])
    assert wanted <= set(EXAMPLES)


def test_matches_carry_pattern_ids_and_character_spans(nlp):
    from analytics.scoring.pipeline import build_pipeline

    inspecting = build_pipeline(keep_spans=True)
    doc = inspecting("Hi Sam! I understand how frustrating this must be.")
    spans = {(span.label_, span.id_, span.text) for span in doc.spans["cxqa"]}
    assert ("GREETING", "hello", "Hi") in spans
    assert ("EMPATHY", "that-must-be", "this must be frustrating") not in spans  # words out of order
    assert any(label == "EMPATHY" and text.startswith("I understand how") for label, _, text in spans)


def test_sentence_start_conditions_are_checked_per_match(nlp):
    counts = nlp("Thanks. Please reply. I said please.")._.cxqa_label_counts
    assert counts["PLEASE_START"] == 1
    assert counts["PLEASE"] == 1


def test_word_choice_patterns_become_phrases():
    condition, phrases = as_phrases([{"LOWER": {"IN": ["could", "would"]}, "IS_SENT_START": True},
                                     {"LOWER": "you"}, {"IS_PUNCT": True, "OP": "?"}])
    assert condition is True
    assert ("could", "you") in phrases and ("would", "you", ",") in phrases
    assert as_phrases([{"LOWER": "will"}, {"IS_ALPHA": True, "OP": "{1,3}"}, {"LOWER": "today"}]) is None
