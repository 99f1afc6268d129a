"""The in-bot NPS survey: eligibility and throttling, answer validation, and the stored NpsResponse."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from actions.nps_actions import ActionStartNpsSurvey, ActionSubmitNps, ValidateNpsForm
from actions.services.db import get_session_factory
from analytics.bot_data.conversations import conversation_key
from analytics.nps.recording import record_survey
from analytics.storage.models import NpsResponse
from analytics.timeutil import utcnow
from tests.bot.conftest import make_tracker, run_action

SESSION_START = 1_795_000_000.0
WARRANTY_TALK = [("is AS26000101 covered?", "check_warranty_status"), ("AS26000101", "inform")]


def responses() -> list[NpsResponse]:
    with get_session_factory()() as session:
        return list(session.scalars(select(NpsResponse).order_by(NpsResponse.id)))


def start(intent: str = "goodbye", sender: str = "web-1", session_start: float = SESSION_START, **kwargs):
    return run_action(ActionStartNpsSurvey(), make_tracker(
        sender_id=sender, text="bye", intent=intent, session_start=session_start, history=WARRANTY_TALK, **kwargs))


def earlier_survey(customer_id: str, days_ago: int, status: str = "answered") -> None:
    asked = utcnow() - timedelta(days=days_ago)
    with get_session_factory().begin() as session:
        record_survey(session, source="rasa", survey_key=f"{customer_id}:1", status=status, responded_at=asked,
                      asked_at=asked, score=9 if status == "answered" else None, customer_id=customer_id)


def test_first_conversation_is_surveyed(bot_db):
    run = start()
    assert run.slots["nps_eligible"] is True
    assert run.slots["nps_asked_at"].endswith("Z")
    assert (run.slots["nps_score"], run.slots["nps_comment"], run.slots["nps_invalid_answers"]) == (None, None, 0)
    assert run.messages == [] and responses() == []


def test_customer_surveyed_within_30_days_is_throttled_and_recorded(bot_db):
    earlier_survey("web-1", days_ago=10)
    run = start()
    assert run.slots == {"nps_eligible": False}
    assert run.responses == ["utter_goodbye"]
    throttled = responses()[-1]
    assert (throttled.status, throttled.survey_key, throttled.customer_id, throttled.touchpoint, throttled.channel) == (
        "throttled", conversation_key("web-1", SESSION_START), "web-1", "warranty", "web_chat")


def test_survey_older_than_the_window_does_not_throttle(bot_db):
    earlier_survey("web-1", days_ago=31)
    assert start().slots["nps_eligible"] is True


def test_throttle_window_is_configurable(bot_db, monkeypatch):
    earlier_survey("web-1", days_ago=10)
    monkeypatch.setenv("CXQA_NPS_THROTTLE_DAYS", "7")
    assert start().slots["nps_eligible"] is True


def test_throttled_external_trigger_stays_silent(bot_db):
    earlier_survey("web-1", days_ago=1)
    run = start(intent="EXTERNAL_nps_survey")
    assert run.slots == {"nps_eligible": False} and run.messages == []


def test_a_conversation_is_surveyed_once(bot_db):
    assert start(slots={"nps_done_key": conversation_key("web-1", SESSION_START)}).slots == {"nps_eligible": False}
    earlier_survey("someone-else", days_ago=1)
    with get_session_factory().begin() as session:  # already stored (e.g. the slot was lost)
        record_survey(session, source="rasa", survey_key=conversation_key("web-2", SESSION_START),
                      status="answered", score=7, responded_at=utcnow(), customer_id="web-2")
    run = start(sender="web-2", intent="confirm_solved")
    assert run.slots == {"nps_eligible": False} and run.responses == ["utter_anything_else"]


def test_customer_id_comes_from_the_widget_metadata(bot_db):
    earlier_survey("cust-77", days_ago=3)
    run = start(sender="socket-session-abc", slots={"session_started_metadata": {"customer_id": "cust-77"}})
    assert run.slots == {"nps_eligible": False}
    assert responses()[-1].customer_id == "cust-77"


def test_database_down_still_surveys(broken_db):
    assert start().slots["nps_eligible"] is True


def validate_score(text: str, intent: str = "inform", invalid_so_far: int = 0):
    return run_action(ValidateNpsForm(), make_tracker(
        text=text, intent=intent, active_loop="nps_form", slot_candidates={"nps_score": text},
        slots={"requested_slot": "nps_score", "nps_invalid_answers": invalid_so_far}))


@pytest.mark.parametrize(("text", "score"), [("9", 9), ("nine", 9), ("9/10", 9), ("10 out of 10", 10),
                                             ("I'd say an 8", 8), ("0", 0)])
def test_scores_in_free_text_are_understood(text, score):
    run = validate_score(text)
    assert run.slots == {"nps_score": score, "nps_status": "answered"}
    assert run.messages == []


@pytest.mark.parametrize("text", ["11", "-1", "5 or 6", "good"])
def test_unreadable_scores_are_asked_again_with_a_hint(text):
    run = validate_score(text)
    assert run.slots == {"nps_score": None, "nps_invalid_answers": 1}
    assert run.responses == ["utter_nps_hint"] and run.message("utter_nps_hint")["hint"]


def test_after_two_re_asks_the_survey_ends_as_abandoned():
    assert validate_score("good", invalid_so_far=1).slots["nps_invalid_answers"] == 2
    run = validate_score("still good", invalid_so_far=2)
    assert run.slots == {"nps_score": None, "nps_status": "abandoned", "nps_invalid_answers": 3,
                         "requested_slot": None}
    assert run.messages == []


@pytest.mark.parametrize(("text", "intent"), [("no thanks", "deny"), ("stop", "stop"), ("bye", "goodbye")])
def test_declining_ends_the_survey(text, intent):
    run = validate_score(text, intent=intent)
    assert run.slots == {"nps_score": None, "nps_status": "declined", "requested_slot": None}


@pytest.mark.parametrize(("text", "stored"), [("skip", ""), ("Skip", ""), ("no.", ""),
                                              ("  fast and   friendly ", "fast and friendly")])
def test_reason_can_be_skipped(text, stored):
    run = run_action(ValidateNpsForm(), make_tracker(
        text=text, intent="inform", active_loop="nps_form", slot_candidates={"nps_comment": text},
        slots={"requested_slot": "nps_comment", "nps_score": 9}))
    assert run.slots == {"nps_comment": stored}


def submit(slots: dict, sender: str = "web-1", history=WARRANTY_TALK, **kwargs):
    return run_action(ActionSubmitNps(), make_tracker(sender_id=sender, text="x", intent="inform", history=history,
                                                      slots={"nps_asked_at": "2026-11-20T10:00:00Z", **slots},
                                                      **kwargs))


def test_an_answer_is_stored_with_touchpoint_channel_and_key(bot_db):
    run = submit({"nps_score": 9, "nps_comment": "quick and clear", "nps_status": "answered"})
    assert run.responses == ["utter_nps_thanks"]
    [row] = responses()
    key = conversation_key("web-1", SESSION_START)
    assert (row.source, row.survey_key, row.conversation_external_id, row.status, row.score, row.comment) == (
        "rasa", key, key, "answered", 9, "quick and clear")
    assert (row.touchpoint, row.channel, row.customer_id) == ("warranty", "web_chat", "web-1")
    assert row.asked_at.isoformat() == "2026-11-20T10:00:00"
    assert run.slots["nps_done_key"] == key and run.slots["nps_score"] is None


def test_skipped_reason_is_stored_as_no_comment_and_agent_is_kept(bot_db):
    submit({"nps_score": 3, "nps_comment": "", "nps_status": "answered", "nps_agent_id": "agent-7"},
           history=[("my buds won't pair", "tech_connectivity")])
    [row] = responses()
    assert (row.comment, row.touchpoint, row.agent_ids) == (None, "technical", ["agent-7"])


@pytest.mark.parametrize(("status", "response"), [("declined", "utter_nps_declined"),
                                                  ("abandoned", "utter_nps_abandoned")])
def test_declined_and_abandoned_surveys_are_recorded(bot_db, status, response):
    run = submit({"nps_status": status}, history=[])
    assert run.responses == [response]
    [row] = responses()
    assert (row.status, row.score, row.touchpoint) == (status, None, "general")


def test_an_answer_is_not_lost_when_the_database_is_down(broken_db, tmp_path):
    run = submit({"nps_score": 10, "nps_comment": "great", "nps_status": "answered"})
    assert run.responses == ["utter_nps_thanks"]
    spooled = (tmp_path / "nps_spool.jsonl").read_text()
    assert '"score": 10' in spooled and conversation_key("web-1", SESSION_START) in spooled
