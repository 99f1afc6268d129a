"""Recording survey outcomes on SQLite and PostgreSQL: idempotence, linking, follow-up, validation."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from analytics.nps.recording import link_unlinked_responses, record_survey
from analytics.storage.models import Customer, NpsResponse

ANSWERED_AT = datetime(2026, 11, 2, 10, 0)


def _survey(**overrides):
    fields = dict(
        source="rasa", survey_key="sender-1:2026-11-02T09:00", status="answered", score=9, comment="Great help",
        customer_id=None, conversation_external_id="sender-1", touchpoint="warranty", channel="web_chat",
        agent_ids=[], asked_at=ANSWERED_AT - timedelta(minutes=1), responded_at=ANSWERED_AT,
    )
    fields.update(overrides)
    return fields


def _count(session) -> int:
    return session.scalar(select(func.count()).select_from(NpsResponse))


def test_second_call_updates_instead_of_duplicating(session_factory, conversation_builder) -> None:
    with session_factory.begin() as session:
        first = record_survey(session, **_survey(score=9))
    with session_factory.begin() as session:
        second = record_survey(session, **_survey(score=4, comment="Actually, slow"))
    with session_factory() as session:
        assert _count(session) == 1
        row = session.get(NpsResponse, first.id)
        assert second.id == first.id
        assert (row.score, row.comment, row.status) == (4, "Actually, slow", "answered")
        # 4 is a detractor: an open follow-up due 48 h after the answer.
        assert row.followup_status == "open"
        assert row.followup_due == ANSWERED_AT + timedelta(hours=48)


def test_links_conversation_and_fills_blanks_from_it(session_factory, conversation_builder) -> None:
    with session_factory.begin() as session:
        conversation = conversation_builder(
            session, "sender-1", source="rasa", channel="web_chat", touchpoint="technical", customer_id="cust-9",
            segment="business", agents=("agent-b", "agent-a"),
        )
        row = record_survey(session, **_survey(touchpoint=None, channel=None, customer_id=None))
        assert row.conversation_id == conversation.id
        assert (row.touchpoint, row.channel, row.customer_id, row.segment) == ("technical", "web_chat", "cust-9",
                                                                                "business")
        assert row.agent_ids == ["agent-b", "agent-a"]


def test_explicit_fields_win_over_the_conversation(session_factory, conversation_builder) -> None:
    with session_factory.begin() as session:
        conversation_builder(session, "sender-1", source="rasa", channel="web_chat", touchpoint="technical")
        row = record_survey(session, **_survey(touchpoint="warranty", agent_ids=["agent-z"], segment="vip"))
        assert (row.touchpoint, row.agent_ids, row.segment) == ("warranty", ["agent-z"], "vip")


def test_segment_from_customer_when_missing(session_factory, conversation_builder) -> None:
    with session_factory.begin() as session:
        session.add(Customer(id="cust-2", segment="smb"))
        session.flush()
        row = record_survey(session, **_survey(customer_id="cust-2", conversation_external_id=None))
        assert row.segment == "smb"
        assert row.conversation_id is None


@pytest.mark.parametrize("status", ["declined", "abandoned", "throttled"])
def test_unanswered_outcomes_are_recorded(session_factory, status) -> None:
    with session_factory.begin() as session:
        row = record_survey(session, **_survey(status=status, score=None, comment=None))
        assert (row.status, row.score, row.followup_status) == (status, None, None)


def test_late_abandoned_does_not_overwrite_an_answer(session_factory, conversation_builder) -> None:
    with session_factory.begin() as session:
        record_survey(session, **_survey(score=10))
    with session_factory.begin() as session:
        row = record_survey(session, **_survey(status="abandoned", score=None, comment=None))
        assert (row.status, row.score) == ("answered", 10)
    with session_factory.begin() as session:  # but an answer replaces an earlier "abandoned"
        record_survey(session, **_survey(survey_key="k2", status="abandoned", score=None))
        row = record_survey(session, **_survey(survey_key="k2", score=3))
        assert (row.status, row.score, row.followup_status) == ("answered", 3, "open")


def test_followup_work_is_not_reset_by_a_repeat(session_factory, conversation_builder) -> None:
    with session_factory.begin() as session:
        row = record_survey(session, **_survey(score=2))
        row.followup_status, row.followup_owner = "closed", "maria"
    with session_factory.begin() as session:
        row = record_survey(session, **_survey(score=2, comment="again"))
        assert (row.followup_status, row.followup_owner, row.comment) == ("closed", "maria", "again")


def test_open_followup_withdrawn_when_score_corrected_upwards(session_factory, conversation_builder) -> None:
    with session_factory.begin() as session:
        record_survey(session, **_survey(score=2))
        row = record_survey(session, **_survey(score=9))
        assert (row.followup_status, row.followup_due) == (None, None)


def test_aware_and_epoch_datetimes_become_naive_utc(session_factory, conversation_builder) -> None:
    aware = datetime(2026, 11, 2, 11, 0, tzinfo=timezone(timedelta(hours=1)))
    with session_factory.begin() as session:
        row = record_survey(session, **_survey(responded_at=aware, asked_at=aware.timestamp() - 60))
        assert row.responded_at == ANSWERED_AT
        assert row.asked_at == ANSWERED_AT - timedelta(minutes=1)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"status": "maybe"}, "status must be one of answered|declined|abandoned|throttled"),
        ({"score": 11}, "score must be a whole number from 0 to 10"),
        ({"score": None}, "score must be a whole number from 0 to 10"),
        ({"score": True}, "score must be a whole number from 0 to 10"),
        ({"status": "declined", "score": 5}, "score must be empty for a declined survey"),
        ({"source": " "}, "source must be a non-empty string, got ' '"),
        ({"survey_key": None}, "survey_key must be a non-empty string, got None"),
        ({"channel": "pigeon"}, "channel must be one of web_chat|phone"),
        ({"agent_ids": "agent-a"}, "agent_ids must be a list of strings, got 'agent-a'"),
        ({"agent_ids": ["a", ""]}, "agent_ids[1] must be a non-empty string"),
        ({"responded_at": "yesterday"}, "responded_at must be a datetime or an ISO 8601 timestamp"),
        ({"asked_at": ANSWERED_AT + timedelta(hours=1)},
         "asked_at must be no later than responded_at (2026-11-02T10:00:00), got '2026-11-02T11:00:00'"),
        ({"survey_key": "x" * 256}, "survey_key must be at most 255 characters, got '256 characters'"),
    ],
)
def test_validation_errors_are_clear(session_factory, overrides, message) -> None:
    with session_factory.begin() as session:
        with pytest.raises(ValueError, match=re.escape(message)):
            record_survey(session, **_survey(**overrides))
        assert _count(session) == 0


def test_link_unlinked_responses_after_the_conversation_arrives(session_factory, conversation_builder) -> None:
    with session_factory.begin() as session:
        record_survey(session, **_survey(touchpoint=None, channel=None))
        record_survey(session, **_survey(survey_key="other", conversation_external_id="never-synced"))
        assert link_unlinked_responses(session) == 0
    with session_factory.begin() as session:  # the tracker sync creates the conversation later
        conversation = conversation_builder(session, "sender-1", source="rasa", channel="web_chat",
                                        touchpoint="technical", customer_id="cust-3", segment="business")
    with session_factory.begin() as session:
        assert link_unlinked_responses(session) == 1
        assert link_unlinked_responses(session) == 0
    with session_factory() as session:
        row = session.scalars(select(NpsResponse).where(NpsResponse.survey_key == _survey()["survey_key"])).one()
        assert row.conversation_id == conversation.id
        assert (row.touchpoint, row.channel, row.customer_id, row.segment, row.agent_ids) == (
            "technical", "web_chat", "cust-3", "business", ["agent-a"])


def test_surveys_only_link_to_conversations_of_their_own_source(session_factory, conversation_builder) -> None:
    with session_factory.begin() as session:
        conversation_builder(session, "sender-1", source="import")
        row = record_survey(session, **_survey())
        assert row.conversation_id is None
