"""Every product problem has a path, no form traps, and actions that do not trust their slots.

Action-level tests (real actions, real knowledge files, real database where one is needed); the dialogue
around them is tested by the end-to-end stories and tests/bot/test_e2e.py.
"""

from __future__ import annotations

import pytest
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select

from actions.claim_actions import ActionSubmitClaim
from actions.nps_actions import ActionSubmitNps, ValidateNpsForm
from actions.services.articles import AMBIGUOUS, FOUND, NONE, find_article
from actions.services.db import get_session_factory
from actions.services.knowledge import get_knowledge
from actions.services.references import parse_email
from actions.technical_actions import ActionFindArticle
from actions.warranty_actions import ValidateWarrantyStatusForm
from analytics.storage.models import Claim
from tests.bot.conftest import DOMAIN, make_tracker, run_action


def find(text: str, *, slots: dict | None = None, articles: list | None = None, entities: list | None = None):
    return run_action(ActionFindArticle(), make_tracker(
        text=text, intent="tech_other", slots=slots, entities=entities,
        parse_extra={"cxqa_articles": articles} if articles is not None else None))


@pytest.mark.parametrize(("text", "issue"), [
    ("my robot leaves puddles of water on the kitchen floor", "leak"),
    ("the left earbud has no sound at all", "audio"),
    ("nobody can hear me on calls with the buds", "microphone"),
    ("two keys on the laptop type double letters", "keyboard"),
])
def test_a_described_problem_finds_its_guide_by_word_overlap(text, issue):
    run = find(text)
    assert run.slots["article_result"] == FOUND and run.slots["issue_type"] == issue


def test_a_problem_that_exists_on_one_product_line_sets_the_product():
    run = find("water is dripping out of the tank")
    assert run.slots["issue_type"] == "leak" and run.slots["product"] == "Sweep"


def test_the_nlu_ranking_wins_and_skips_issues_the_product_does_not_have():
    articles = [{"issue": "keyboard", "product": "default", "score": 0.9},
                {"issue": "overheating", "product": "default", "score": 0.62},
                {"issue": "noise", "product": "default", "score": 0.41}]
    run = find("it gets hot", slots={"product": "Pulse Buds"}, articles=articles)
    assert run.slots["issue_type"] == "overheating"  # no keyboard on earbuds


def test_two_close_guides_make_the_bot_ask_which_with_buttons():
    articles = [{"issue": "overheating", "score": 0.61}, {"issue": "noise", "score": 0.60}]
    run = find("the fan never stops and it is hot", slots={"product": "Slate"}, articles=articles)
    assert run.slots["article_result"] == AMBIGUOUS and "issue_type" not in run.slots
    buttons = run.message("utter_ask_which_issue")["buttons"]
    assert [b["payload"] for b in buttons] == ['/choose_issue{"issue_choice": "overheating"}',
                                               '/choose_issue{"issue_choice": "noise"}']


def test_a_button_choice_sends_that_guide():
    run = find("/choose_issue", entities=[{"entity": "issue_choice", "value": "noise"}])
    assert run.slots["article_result"] == FOUND and run.slots["issue_type"] == "noise"


def test_nothing_fits_hands_over():
    run = find("what is the meaning of life", articles=[{"issue": "power", "score": 0.05}])
    assert run.slots["article_result"] == NONE and run.responses == ["utter_no_article"]
    assert find_article("qwerty zxcv", None, get_knowledge(), None).outcome == NONE


def test_a_second_unreadable_reference_offers_the_alternatives():
    def validate(value: str, failures: int):
        tracker = make_tracker(text=value, intent="inform", active_loop="warranty_status_form",
                               slots={"requested_slot": "warranty_reference", "form_failures": failures},
                               slot_candidates={"warranty_reference": value})
        dispatcher = CollectingDispatcher()
        slots = ValidateWarrantyStatusForm().validate_warranty_reference(value, dispatcher, tracker, DOMAIN)
        return slots, [m.get("response") for m in dispatcher.messages]
    slots, said = validate("the blue one", 0)
    assert slots["form_failures"] == 1 and said == ["utter_reference_hint"]
    slots, said = validate("still the blue one", 1)
    assert slots["form_failures"] == 2 and said == ["utter_reference_hint", "utter_reference_alternatives"]
    slots, _ = validate("AS26000101", 2)
    assert slots == {"warranty_reference": "AS26000101", "form_failures": 0}


def test_every_form_lets_a_clear_other_request_go():
    for form in ("warranty_status_form", "claim_form", "troubleshoot_form"):
        ignored = set(DOMAIN["forms"][form]["ignored_intents"])
        assert {"stop", "request_human", "express_frustration", "out_of_scope"} <= ignored, form
    assert {"tech_other", "start_claim", "ask_warranty_coverage"} <= set(
        DOMAIN["forms"]["warranty_status_form"]["ignored_intents"])


@pytest.mark.parametrize("slots", [
    {"claim_serial": [1, 2], "claim_problem": "broken", "claim_email": "a@example.com"},
    {"claim_serial": "AS26000101", "claim_problem": {"a": 1}, "claim_email": "a@example.com"},
    {"claim_serial": "AS26000101", "claim_problem": "it is broken", "claim_email": 7},
    {"claim_serial": "AS26000101", "claim_problem": "it is broken", "claim_email": "[pay](https://x.example)@a.com"},
    {"claim_serial": "not a serial", "claim_problem": "it is broken", "claim_email": "a@example.com"},
])
def test_a_claim_with_forged_slots_is_not_created(bot_db, slots):
    run = run_action(ActionSubmitClaim(), make_tracker(text="x", intent="inform", slots=slots))
    assert run.responses == ["utter_claim_incomplete"]
    with get_session_factory().begin() as session:
        assert session.scalar(select(func.count()).select_from(Claim)) == 0


def test_an_email_cannot_carry_a_markdown_link():
    assert parse_email("[click here](https://evil.example/pay)@example.com") is None
    assert parse_email("my address is mia.jensen+lumio@example.co.uk") == "mia.jensen+lumio@example.co.uk"


def test_the_survey_steps_aside_for_a_clear_new_request():
    tracker = make_tracker(text="I want to start a warranty claim", intent="start_claim", confidence=0.95,
                           active_loop="nps_form", slots={"requested_slot": "nps_score"},
                           slot_candidates={"nps_score": "I want to start a warranty claim"})
    slots = ValidateNpsForm().validate_nps_score("I want to start a warranty claim", CollectingDispatcher(), tracker,
                                                 DOMAIN)
    assert slots == {"nps_score": None, "nps_status": "abandoned", "nps_step_aside": "start_claim",
                     "requested_slot": None}
    unsure = make_tracker(text="claim?", intent="start_claim", confidence=0.4, active_loop="nps_form",
                          slots={"requested_slot": "nps_score"})
    dispatcher = CollectingDispatcher()
    assert ValidateNpsForm().validate_nps_score("claim?", dispatcher, unsure, DOMAIN)["nps_score"] is None
    assert [m.get("response") for m in dispatcher.messages] == ["utter_nps_hint"]


def test_after_stepping_aside_the_bot_does_what_was_asked(bot_db):
    tracker = make_tracker(text="I want to start a warranty claim", intent="start_claim",
                           slots={"nps_status": "abandoned", "nps_step_aside": "start_claim"})
    run = run_action(ActionSubmitNps(), tracker)
    assert run.messages == []
    assert {"event": "followup", "name": "claim_form"} in [
        {k: e[k] for k in ("event", "name")} for e in run.events if e.get("event") == "followup"]


@pytest.mark.parametrize(("text", "intent", "confidence", "declined"), [
    ("no thanks", "deny", 0.97, True),
    ("dunno", "deny", 0.49, False),  # a weak "no" is asked again, not taken as a refusal
    ("maybe", "deny", 0.60, False),
])
def test_only_a_clear_no_declines_the_survey(text, intent, confidence, declined):
    tracker = make_tracker(text=text, intent=intent, confidence=confidence, active_loop="nps_form",
                           slots={"requested_slot": "nps_score"})
    dispatcher = CollectingDispatcher()
    slots = ValidateNpsForm().validate_nps_score(text, dispatcher, tracker, DOMAIN)
    assert (slots.get("nps_status") == "declined") is declined
    assert (dispatcher.messages == []) is declined


def test_a_described_problem_does_not_interrupt_the_survey():
    """"hard to say really" reads as tech_other too easily: only clear named requests step aside."""
    tracker = make_tracker(text="hmm hard to say really", intent="tech_other", confidence=0.84,
                           active_loop="nps_form", slots={"requested_slot": "nps_score"})
    slots = ValidateNpsForm().validate_nps_score("hmm hard to say really", CollectingDispatcher(), tracker, DOMAIN)
    assert "nps_step_aside" not in slots and slots["nps_score"] is None
