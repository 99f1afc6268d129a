"""Warranty policy answers and the warranty status lookup, against a real seeded database."""

from __future__ import annotations

import pytest

from actions.warranty_actions import (
    ActionAnswerWarrantyQuestion,
    ActionCheckWarrantyStatus,
    ValidateWarrantyStatusForm,
)
from tests.bot.conftest import make_tracker, run_action


@pytest.mark.parametrize(("product", "months", "phrase"), [
    ("Pulse Buds", 12, "lost earbuds"), ("router", 36, "lightning"), (None, None, "Vista Cam (home security camera)"),
])
def test_coverage_answer_per_product_line(product, months, phrase):
    run = run_action(ActionAnswerWarrantyQuestion(), make_tracker(
        text="how long is the warranty", intent="ask_warranty_coverage", slots={"product": product}))
    assert run.slots == {"warranty_topic": "coverage"}
    if months is None:
        assert run.responses == ["utter_coverage_overview"]
        overview = run.message("utter_coverage_overview")["overview"]
        assert phrase in overview and "Nimbus Router (Wi-Fi router): 36 months" in overview
    else:
        message = run.message("utter_coverage_product")
        assert message["months"] == months
        assert phrase in message["not_covered"]


@pytest.mark.parametrize(("intent", "response", "phrase"), [
    ("ask_accidental_damage", "utter_policy", "CarePlus"),
    ("ask_extended_warranty", "utter_policy", "within 60 days"),
    ("ask_claim_process", "utter_claim_process", "claim number"),
])
def test_policy_answers_come_from_the_knowledge_file(intent, response, phrase):
    run = run_action(ActionAnswerWarrantyQuestion(), make_tracker(text="?", intent=intent))
    assert run.responses == [response]
    assert run.slots == {"warranty_topic": intent.removeprefix("ask_").replace("claim_process", "how_to_claim")}
    assert phrase in run.message(response)["policy"]


def validate_reference(value: str):
    return run_action(ValidateWarrantyStatusForm(), make_tracker(
        text=value, intent="inform", slots={"requested_slot": "warranty_reference"},
        slot_candidates={"warranty_reference": value}, active_loop="warranty_status_form"))


@pytest.mark.parametrize(("typed", "stored"), [
    ("as 2600 0101", "AS26000101"), ("it's PB26000233", "PB26000233"), ("ord 260101", "ORD-260101"),
])
def test_form_accepts_and_normalises_references(typed, stored):
    run = validate_reference(typed)
    assert run.slots["warranty_reference"] == stored
    assert run.messages == []


@pytest.mark.parametrize("typed", ["12345", "AS123", "my speaker", "😀", "x" * 10_000])
def test_form_re_asks_with_a_hint_on_a_bad_reference(typed):
    run = validate_reference(typed)
    assert run.slots["warranty_reference"] is None
    hint = run.message("utter_reference_hint")["hint"]
    assert "two letters followed by eight digits" in hint and "ORD-260101" in hint


def check(reference: str):
    return run_action(ActionCheckWarrantyStatus(), make_tracker(
        text=reference, intent="inform", slots={"warranty_reference": reference}))


def test_covered_unit_gives_the_end_date_and_offers_a_claim(bot_db):
    run = check("AS26000101")
    covered = run.message("utter_warranty_covered")
    assert (covered["product"], covered["serial"], covered["until"]) == ("Aura Speaker", "AS26000101", "15 June 2028")
    assert covered["extension"] == ""
    assert "open a warranty claim" in run.message("utter_offer_claim")["next_steps"]
    assert run.slots == {"warranty_reference": None, "backend_result": "ok", "claim_serial": "AS26000101",
                         "product": "Aura Speaker"}


def test_extended_warranty_is_included(bot_db):
    covered = check("PB26000233").message("utter_warranty_covered")
    assert covered["until"] == "1 September 2029"
    assert "CarePlus" in covered["extension"]


def test_expired_unit_gives_the_expiry_date_and_paid_repair(bot_db):
    run = check("AS22000417")
    assert run.message("utter_warranty_expired")["expired_on"] == "10 March 2024"
    assert "fixed fee" in run.message("utter_offer_claim")["next_steps"]
    assert run.slots["backend_result"] == "ok"


def test_order_lookup_lists_every_unit(bot_db):
    run = check("ORD-260101")
    assert [m["serial"] for m in run.messages if m["response"] == "utter_warranty_covered"] == ["AS26000101",
                                                                                                 "VC26000150"]
    assert "claim_serial" not in run.slots  # two units: the claim form must ask which one


def test_unknown_reference_is_not_found_with_next_steps(bot_db):
    run = check("AS99999999")
    message = run.message("utter_warranty_not_found")
    assert message["reference"] == "AS99999999" and "register it" in message["next_steps"]
    assert run.slots["backend_result"] == "not_found"


def test_database_down_says_it_cannot_look_it_up_and_offers_a_person(broken_db):
    run = check("AS26000101")
    assert run.responses == ["utter_lookup_unavailable"]
    assert run.slots["backend_result"] == "unavailable"
