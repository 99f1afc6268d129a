"""The bot's NPS survey against the NPS store (analytics.nps): may we ask, and record the outcome.

One survey per conversation (its key is the conversation key) and none for a customer surveyed within the
throttle window (``CXQA_NPS_THROTTLE_DAYS``, default 30): such a conversation gets a "throttled" row.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from actions.services.db import get_session_factory
from analytics.bot_data.conversations import SOURCE
from analytics.nps.recording import record_survey, record_survey_durably
from analytics.nps.throttle import recently_surveyed, throttle_days
from analytics.storage.models import NpsResponse

logger = logging.getLogger(__name__)

CHANNEL = "web_chat"
Decision = Literal["ask", "already_surveyed", "throttled"]


@dataclass(frozen=True)
class SurveyContext:
    survey_key: str
    customer_id: str
    touchpoint: str
    agent_ids: tuple[str, ...] = ()


def decide_and_record(session: Session, context: SurveyContext, now: datetime) -> Decision:
    """Whether to run the survey now; a throttled conversation is recorded as such."""
    if session.scalar(select(NpsResponse.id).where(NpsResponse.source == SOURCE,
                                                   NpsResponse.survey_key == context.survey_key)) is not None:
        return "already_surveyed"
    if recently_surveyed(session, context.customer_id, now, throttle_days()):
        record_survey(
            session, source=SOURCE, survey_key=context.survey_key, status="throttled", responded_at=now,
            customer_id=context.customer_id, conversation_external_id=context.survey_key,
            touchpoint=context.touchpoint, channel=CHANNEL, agent_ids=list(context.agent_ids),
        )
        return "throttled"
    return "ask"


def submit(context: SurveyContext, *, status: str, score: int | None, comment: str | None,
           asked_at: datetime | str | None, now: datetime) -> str:
    """Store the outcome durably (retried, else spooled for replay); returns "stored", "spooled" or "invalid"."""
    try:
        result = record_survey_durably(
            get_session_factory(), source=SOURCE, survey_key=context.survey_key, status=status, score=score,
            comment=comment, customer_id=context.customer_id, conversation_external_id=context.survey_key,
            touchpoint=context.touchpoint, channel=CHANNEL, agent_ids=list(context.agent_ids),
            asked_at=asked_at, responded_at=now,
        )
    except ValueError as exc:  # a bug on our side; the customer still gets a polite reply
        logger.error("NPS survey %s not recorded: %s", context.survey_key, exc)
        return "invalid"
    return result.outcome
