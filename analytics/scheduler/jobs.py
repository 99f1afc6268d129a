"""The scheduler's jobs. Each takes a ``JobContext`` (engines and an HTTP client made once per process) and
opens its own transactions, so it can run on its own (tests) or from APScheduler.

- ``sync_job``: tracker store -> conversations/turns, then surveys linked to the conversations that arrived.
- ``nps_upkeep_job``: replay the NPS spool (answers the database could not take) and link late surveys. A job
  of its own: spooled answers must reach the database even while the sync keeps failing.
- ``idle_survey_job``: customers quiet for CXQA_NPS_IDLE_MINUTES get the survey in their open chat.
- ``closed_handoff_survey_job``: a human agent closed the handoff ticket: survey about that help.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta

import httpx
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from analytics.bot_data.conversations import SOURCE, conversation_key
from analytics.scheduler.rasa_client import RasaUnavailable, trigger_intent
from analytics.scheduler.settings import SchedulerSettings, SurveyNames
from analytics.scheduler.survey_state import should_survey, survey_started
from analytics.scheduler.tracker_queries import current_session_events, idle_senders
from analytics.storage.models import HandoffTicket, NpsResponse
from analytics.sync.runner import SyncReport, sync_tracker
from analytics.sync.tracker_events import TrackerEvent, has_events_table
from analytics.timeutil import utcnow

logger = logging.getLogger(__name__)


@dataclass
class JobContext:
    settings: SchedulerSettings
    names: SurveyNames
    tracker_engine: Engine
    session_factory: sessionmaker[Session]
    http: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=10.0))

    def close(self) -> None:
        self.http.close()


def sync_job(context: JobContext) -> SyncReport:
    report = sync_tracker(context.tracker_engine, context.session_factory)
    if report.changed or report.set_aside:
        logger.info("tracker sync: %s", report.summary())
    if report.changed:
        from analytics.nps.recording import link_unlinked_responses

        with context.session_factory.begin() as session:
            linked = link_unlinked_responses(session)
        if linked:
            logger.info("tracker sync: %d NPS surveys linked to their conversations", linked)
    return report


def nps_upkeep_job(context: JobContext) -> dict[str, int]:
    """Replay spooled NPS answers, then link surveys to late conversations: {"replayed": n, "linked": m}."""
    from analytics.nps.jobs import nps_maintenance

    upkeep = nps_maintenance(context.session_factory)
    if any(upkeep.values()):
        logger.info("NPS upkeep: %s", upkeep)
    return upkeep


def _session_key(sender_id: str, events: list[TrackerEvent]) -> str:
    started = next((event.timestamp for event in events if event.type_name == "session_started"), None)
    if started is None:
        started = next((event.timestamp for event in events if event.timestamp is not None), None)
    return conversation_key(sender_id, started)


def _trigger(context: JobContext, sender_id: str, entities: dict[str, str] | None = None) -> None:
    settings = context.settings
    trigger_intent(
        settings.rasa_url,
        sender_id,
        context.names.trigger_intent,
        entities=entities,
        output_channel=settings.output_channel,
        token=settings.rasa_token,
        client=context.http,
    )


def idle_survey_job(context: JobContext, now: float | None = None) -> list[str]:
    """Trigger the survey in idle conversations that have not had it; returns the senders triggered."""
    if not has_events_table(context.tracker_engine):
        return []
    settings = context.settings
    now = time.time() if now is None else now
    with context.session_factory() as session:
        in_handoff = set(
            session.scalars(
                select(HandoffTicket.sender_id).where(
                    HandoffTicket.status != "closed", HandoffTicket.sender_id.is_not(None)
                )
            )
        )
    triggered: list[str] = []
    with context.tracker_engine.connect() as conn:
        candidates = idle_senders(conn, now, settings.nps_idle_minutes * 60, settings.nps_idle_max_minutes * 60)
        for sender_id, _last_message in candidates:
            if sender_id in in_handoff:
                continue  # a person is on it; the survey follows when they close the ticket
            events = current_session_events(conn, sender_id)
            if not should_survey(sender_id, events, context.names):
                continue
            if _already_recorded(context, _session_key(sender_id, events)):
                continue
            try:
                _trigger(context, sender_id)
            except RasaUnavailable as exc:
                logger.warning("idle NPS trigger stopped: %s", exc)
                break  # Rasa is down: try again at the next run
            logger.info("idle NPS survey triggered for %s", sender_id)
            triggered.append(sender_id)
    return triggered


def _already_recorded(context: JobContext, survey_key: str) -> bool:
    with context.session_factory() as session:
        return (
            session.scalar(
                select(NpsResponse.id).where(NpsResponse.source == SOURCE, NpsResponse.survey_key == survey_key)
            )
            is not None
        )


def closed_handoff_survey_job(context: JobContext) -> list[str]:
    """Survey customers whose handoff ticket a human agent closed recently; returns the tickets triggered."""
    since = utcnow() - timedelta(minutes=context.settings.handoff_window_minutes)
    with context.session_factory() as session:
        tickets = session.execute(
            select(HandoffTicket.ticket_number, HandoffTicket.sender_id, HandoffTicket.closed_by)
            .where(
                HandoffTicket.status == "closed",
                HandoffTicket.closed_at >= since,
                HandoffTicket.sender_id.is_not(None),
            )
            .order_by(HandoffTicket.closed_at)
        ).all()
    if not tickets:
        return []
    tracker_ready = has_events_table(context.tracker_engine)
    triggered: list[str] = []
    with context.tracker_engine.connect() as conn:
        for ticket_number, sender_id, closed_by in tickets:
            events = current_session_events(conn, sender_id) if tracker_ready else []
            if survey_started(events, context.names):
                continue
            entities = {context.names.agent_entity: closed_by} if closed_by else None
            try:
                _trigger(context, sender_id, entities)
            except RasaUnavailable as exc:
                logger.warning("handoff NPS trigger stopped: %s", exc)
                break
            logger.info("NPS survey triggered for %s after ticket %s was closed", sender_id, ticket_number)
            triggered.append(ticket_number)
    return triggered
