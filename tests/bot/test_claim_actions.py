"""The claim form's validation and the Claim row, against a real seeded database."""

from __future__ import annotations

from sqlalchemy import select

from actions.claim_actions import ActionSubmitClaim, ValidateClaimForm
from actions.services.db import get_session_factory
from analytics.storage.models import Claim
from tests.bot.conftest import make_tracker, run_action


def validate(slot: str, value: str, slots: dict | None = None):
    return run_action(ValidateClaimForm(), make_tracker(
        text=value, intent="inform", slots={"requested_slot": slot, **(slots or {})},
        slot_candidates={slot: value}, active_loop="claim_form"))


def test_serial_must_be_well_formed_and_registered(bot_db):
    assert validate("claim_serial", "vc 2600 0150").slots["claim_serial"] == "VC26000150"
    bad_format = validate("claim_serial", "my camera")
    assert bad_format.slots["claim_serial"] is None
    assert "two letters followed by eight digits" in bad_format.message("utter_reference_hint")["hint"]
    unknown = validate("claim_serial", "VC99999999")
    assert unknown.slots["claim_serial"] is None
    assert unknown.message("utter_claim_serial_unknown")["serial"] == "VC99999999"


def test_serial_is_taken_on_trust_when_the_registry_is_down(broken_db):
    assert validate("claim_serial", "VC99999999").slots["claim_serial"] == "VC99999999"


def test_problem_and_email_are_validated():
    assert validate("claim_problem", "ok").slots["claim_problem"] is None
    assert validate("claim_problem", "  it   crackles at high volume ").slots["claim_problem"] == \
        "it crackles at high volume"
    assert len(validate("claim_problem", "broken " * 2000).slots["claim_problem"]) == 2000
    bad = validate("claim_email", "mia at example dot com")
    assert bad.slots["claim_email"] is None and "name@example.com" in bad.message("utter_reference_hint")["hint"]
    assert validate("claim_email", "Mia@Example.com").slots["claim_email"] == "Mia@example.com"


def submit(sender: str = "web-claimer"):
    slots = {"claim_serial": "AS26000101", "claim_problem": "it crackles", "claim_email": "mia@example.com"}
    return run_action(ActionSubmitClaim(), make_tracker(sender_id=sender, text="mia@example.com", intent="inform",
                                                        slots=slots))


def test_submitting_creates_a_claim_row_and_tells_the_number(bot_db):
    run = submit()
    opened = run.message("utter_claim_opened")
    with get_session_factory()() as session:
        claim = session.scalars(select(Claim)).one()
    assert opened["claim_number"] == claim.claim_number and claim.claim_number.startswith("CLM-")
    assert (claim.serial_number, claim.problem, claim.contact_email, claim.sender_id, claim.status) == (
        "AS26000101", "it crackles", "mia@example.com", "web-claimer", "open")
    assert opened["coverage"] == "The repair is free under warranty."
    assert run.slots == {"claim_number": claim.claim_number, "backend_result": "ok", "claim_serial": None,
                         "claim_problem": None, "claim_email": None}


def test_claim_numbers_are_unique(bot_db):
    numbers = {submit().slots["claim_number"] for _ in range(5)}
    assert len(numbers) == 5


def test_out_of_warranty_claim_mentions_a_quote(bot_db):
    run = run_action(ActionSubmitClaim(), make_tracker(text="x", intent="inform", slots={
        "claim_serial": "NR21000777", "claim_problem": "no lights", "claim_email": "tom@example.com"}))
    assert "ended on 30 May 2024" in run.message("utter_claim_opened")["coverage"]


def test_database_down_keeps_the_details_and_offers_a_person(broken_db):
    run = submit()
    assert run.responses == ["utter_lookup_unavailable"]
    assert run.slots == {"backend_result": "unavailable"}
