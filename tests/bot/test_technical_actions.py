"""Troubleshooting: which product, which error code, the guide's steps, "did that work?"."""

from __future__ import annotations

import asyncio

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.technical_actions import ActionTroubleshoot, ValidateTroubleshootForm, parse_error_code
from tests.bot.conftest import DOMAIN, make_tracker, run_action


@pytest.mark.parametrize(("typed", "stored"), [("my aura", "Aura Speaker"), ("EARBUDS", "Pulse Buds"),
                                               ("Vista Cam", "Vista Cam")])
def test_product_answer_is_matched_to_the_catalog(typed, stored):
    run = run_action(ValidateTroubleshootForm(), make_tracker(
        text=typed, intent="inform", slots={"requested_slot": "product", "issue_type": "power"},
        slot_candidates={"product": typed}, active_loop="troubleshoot_form"))
    assert run.slots["product"] == stored


def test_unknown_product_is_asked_again_with_the_catalog_as_buttons():
    run = run_action(ValidateTroubleshootForm(), make_tracker(
        text="my toaster", intent="inform", slots={"requested_slot": "product", "issue_type": "power"},
        slot_candidates={"product": "my toaster"}, active_loop="troubleshoot_form"))
    assert run.slots["product"] is None
    assert [b["title"] for b in run.message("utter_product_hint")["buttons"]] == [
        "Aura Speaker", "Pulse Buds", "Nimbus Router", "Orbit Watch", "Vista Cam", "Sweep", "Slate"]


@pytest.mark.parametrize(("issue", "required"), [("power", ["product"]), ("error_code", ["product", "error_code"])])
def test_error_code_is_only_asked_for_error_code_problems(issue, required):
    tracker = make_tracker(text="x", intent="inform", slots={"issue_type": issue})
    slots = asyncio.run(ValidateTroubleshootForm().required_slots(
        DOMAIN["forms"]["troubleshoot_form"]["required_slots"], CollectingDispatcher(), tracker, DOMAIN))
    assert slots == required


@pytest.mark.parametrize(("text", "code"), [("E07", "E07"), ("error e 21 on screen", "E21"), ("E-30", "E30"),
                                            ("no code", None), ("E7", None)])
def test_parse_error_code(text, code):
    assert parse_error_code(text) == code


def troubleshoot(issue: str, product: str | None, error_code: str | None = None):
    return run_action(ActionTroubleshoot(), make_tracker(
        text="x", intent="inform", slots={"issue_type": issue, "product": product, "error_code": error_code}))


def test_product_specific_steps_are_numbered_and_followed_by_did_it_work():
    run = troubleshoot("connectivity", "Pulse Buds")
    assert run.responses == ["utter_troubleshooting_steps", "utter_ask_did_it_work"]
    steps = run.message("utter_troubleshooting_steps")
    assert steps["product"] == "Pulse Buds" and steps["issue"] == "Wi-Fi or Bluetooth pairing"
    assert steps["steps"].startswith("1. On your phone, forget \"Pulse Buds\"")
    assert "\n3. " in steps["steps"]


def test_default_steps_when_the_product_has_no_own_guide():
    steps = troubleshoot("firmware", "Orbit Watch").message("utter_troubleshooting_steps")["steps"]
    assert "Settings > Firmware update > Check now" in steps


def test_known_error_code_is_explained():
    run = troubleshoot("error_code", "Nimbus Router", "E21")
    assert run.responses == ["utter_error_code_explained", "utter_ask_did_it_work"]
    assert "firmware update failed" in run.message("utter_error_code_explained")["meaning"]
    assert run.slots == {"error_code": None}


def test_unknown_error_code_falls_back_to_general_steps():
    run = troubleshoot("error_code", "Orbit Watch", "E99")
    assert run.responses == ["utter_error_code_unknown", "utter_troubleshooting_steps", "utter_ask_did_it_work"]
