"""Store survey outcomes: idempotent on (source, survey_key), linked to their conversation, never lost.

``record_survey`` is the plain write inside the caller's transaction. ``record_survey_durably`` is what the
bot calls: it owns its transactions, retries while the database is briefly unavailable, and spools the answer
to a local file if it stays down; ``flush_spool`` (run by the scheduler) replays the spool.

Conversation convention: a survey's ``source`` names the system it came from, and its conversation is the
``Conversation`` with that same source and ``external_id == conversation_external_id`` ("rasa" for the bot,
"import" for the conversation importer's default).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import DisconnectionError, IntegrityError, InterfaceError, OperationalError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from sqlalchemy.orm import Session, sessionmaker

from analytics.nps.context import ConversationContext, conversation_contexts, customer_segments
from analytics.nps.fields import SurveyFields, validate_survey_fields
from analytics.nps.followup import followup_state, is_detractor
from analytics.nps.spool import Spool
from analytics.storage.models import NpsResponse

logger = logging.getLogger(__name__)

# Which outcome may replace which for the same survey: a late "abandoned" (session timed out) or "throttled"
# never overwrites an answer or a refusal that was already stored, e.g. when a spooled answer is replayed.
STATUS_PRECEDENCE = {"throttled": 0, "abandoned": 1, "declined": 2, "answered": 2}
# IntegrityError: two writers inserted the same new survey at once; the retry finds the row and updates it.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, DisconnectionError, PoolTimeoutError, IntegrityError)


def record_survey(
    session: Session,
    *,
    source: str,
    survey_key: str,
    status: str,
    responded_at: datetime | str | float,
    score: int | None = None,
    comment: str | None = None,
    customer_id: str | None = None,
    conversation_external_id: str | None = None,
    touchpoint: str | None = None,
    channel: str | None = None,
    agent_ids: list[str] | tuple[str, ...] = (),
    asked_at: datetime | str | float | None = None,
    segment: str | None = None,
) -> NpsResponse:
    """Insert or update the survey (source, survey_key) in the caller's transaction; ``ValueError`` if invalid.

    Blank touchpoint, channel, customer and agents are taken from the linked conversation when it exists;
    a blank segment from the customer. Detractors (0-6) get an open follow-up due 48 hours after the answer.
    Two transactions inserting the same new survey at the same moment: the second fails with
    ``IntegrityError`` and may simply retry (``record_survey_durably`` does).
    """
    survey = validate_survey_fields(
        source=source, survey_key=survey_key, status=status, responded_at=responded_at, score=score,
        comment=comment, customer_id=customer_id, conversation_external_id=conversation_external_id,
        touchpoint=touchpoint, channel=channel, agent_ids=agent_ids, asked_at=asked_at, segment=segment,
    )
    return store_survey(session, survey)


def store_survey(
    session: Session,
    survey: SurveyFields,
    *,
    existing: NpsResponse | None = None,
    conversation: ConversationContext | None = None,
    segments: dict[str, str | None] | None = None,
    create_followup: bool = True,
    looked_up: bool = False,
    flush: bool = True,
) -> NpsResponse:
    """Write validated fields. Bulk callers pass what they looked up already (``looked_up=True``) and flush
    once per batch (``flush=False``), which lets SQLAlchemy send the batch's inserts together."""
    if not looked_up:
        existing = _find(session, survey.source, survey.survey_key)
        if survey.conversation_external_id:
            conversation = conversation_contexts(session, survey.source, [survey.conversation_external_id]).get(
                survey.conversation_external_id
            )
        customer = survey.customer_id or (conversation.customer_id if conversation else None)
        segments = customer_segments(session, [customer]) if survey.segment is None else {}
    values = _row_values(survey, conversation, segments or {})
    if existing is not None and STATUS_PRECEDENCE[survey.status] < STATUS_PRECEDENCE[existing.status]:
        return existing
    response = existing or NpsResponse(source=survey.source, survey_key=survey.survey_key)
    for name, value in values.items():
        setattr(response, name, value)
    detractor = is_detractor(survey.status, survey.score)
    if create_followup or not detractor or response.followup_status is not None:
        response.followup_status, response.followup_due = followup_state(
            detractor=detractor, current_status=response.followup_status, current_due=response.followup_due,
            responded_at=survey.responded_at,
        )
    if existing is None:
        session.add(response)
    if flush:
        session.flush()
    return response


def _find(session: Session, source: str, survey_key: str) -> NpsResponse | None:
    return session.scalars(
        select(NpsResponse).where(NpsResponse.source == source, NpsResponse.survey_key == survey_key)
    ).one_or_none()


def _row_values(
    survey: SurveyFields, conversation: ConversationContext | None, segments: dict[str, str | None]
) -> dict[str, Any]:
    customer_id = survey.customer_id or (conversation.customer_id if conversation else None)
    return {
        "status": survey.status,
        "score": survey.score,
        "comment": survey.comment,
        "customer_id": customer_id,
        "conversation_external_id": survey.conversation_external_id,
        "conversation_id": conversation.id if conversation else None,
        "touchpoint": survey.touchpoint or (conversation.touchpoint if conversation else None),
        "channel": survey.channel or (conversation.channel if conversation else None),
        "agent_ids": list(survey.agent_ids or (conversation.agent_ids if conversation else ())),
        "segment": survey.segment or (segments.get(customer_id) if customer_id else None),
        "asked_at": survey.asked_at,
        "responded_at": survey.responded_at,
    }


def link_unlinked_responses(session: Session) -> int:
    """Link surveys whose conversation arrived after them (e.g. by the tracker sync); fill their blanks.

    Returns how many were linked. Cheap when there is nothing to do: one indexed query.
    """
    pending = session.execute(
        select(NpsResponse.id, NpsResponse.source, NpsResponse.conversation_external_id).where(
            NpsResponse.conversation_id.is_(None), NpsResponse.conversation_external_id.is_not(None)
        )
    ).all()
    by_source: dict[str, list[tuple[int, str]]] = {}
    for response_id, source, external_id in pending:
        by_source.setdefault(source, []).append((response_id, external_id))
    linked = 0
    for source, items in by_source.items():
        contexts = conversation_contexts(session, source, [external_id for _, external_id in items])
        matched = [(rid, contexts[external_id]) for rid, external_id in items if external_id in contexts]
        if not matched:
            continue
        responses = {r.id: r for r in session.scalars(select(NpsResponse).where(
            NpsResponse.id.in_([response_id for response_id, _ in matched])))}
        customers = [responses[rid].customer_id or context.customer_id for rid, context in matched]
        segments = customer_segments(session, customers)
        for response_id, context in matched:
            response = responses[response_id]
            response.conversation_id = context.id
            response.touchpoint = response.touchpoint or context.touchpoint
            response.channel = response.channel or context.channel
            response.customer_id = response.customer_id or context.customer_id
            if not response.agent_ids:
                response.agent_ids = list(context.agent_ids)
            if response.segment is None and response.customer_id:
                response.segment = segments.get(response.customer_id)
            linked += 1
    session.flush()
    return linked


# --- durability -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DurableResult:
    """``stored`` (``response_id`` set) or ``spooled`` (``spool_path`` set; replayed by ``flush_spool``)."""

    outcome: str
    response_id: int | None = None
    spool_path: Path | None = None

    @property
    def stored(self) -> bool:
        return self.outcome == "stored"


def record_survey_durably(
    session_factory: sessionmaker[Session] | Callable[[], Session],
    *,
    attempts: int = 3,
    backoff_seconds: float = 0.25,
    spool_path: str | Path | None = None,
    sleep: Callable[[float], None] = time.sleep,
    **fields: Any,
) -> DurableResult:
    """Record a survey in its own transaction; retry while the database is unavailable, else spool it.

    Waits at most ``backoff_seconds * (2**(attempts-1) - 1)`` seconds (0.75 s by default) before spooling, so
    a conversation is not held up. Invalid fields raise ``ValueError`` at once: they would never replay.
    For a database that does not answer at all, give the engine a connect timeout (psycopg:
    ``connect_args={"connect_timeout": 3}``).
    """
    survey = validate_survey_fields(**fields)
    error: Exception | None = None
    for attempt in range(max(1, attempts)):
        try:
            response_id = _store_in_own_transaction(session_factory, survey)
            return DurableResult("stored", response_id=response_id)
        except TRANSIENT_ERRORS as exc:
            error = exc
            if attempt + 1 < attempts:
                sleep(backoff_seconds * 2**attempt)
        except SQLAlchemyError as exc:  # e.g. a schema not migrated yet: retrying now will not help
            error = exc
            break
    spool = Spool(spool_path)
    reason = f"{type(error).__name__}: {error}".splitlines()[0]
    spool.append(survey.to_json(), reason)
    logger.warning("NPS survey %s/%s spooled to %s: %s", survey.source, survey.survey_key, spool.path, reason)
    return DurableResult("spooled", spool_path=spool.path)


def _store_in_own_transaction(session_factory: Callable[[], Session], survey: SurveyFields) -> int:
    with session_factory() as session, session.begin():
        return store_survey(session, survey).id


def flush_spool(
    session_factory: sessionmaker[Session] | Callable[[], Session], spool_path: str | Path | None = None
) -> int:
    """Replay spooled answers (oldest first) idempotently; return how many were stored.

    Stops at the first database error and keeps the rest for the next run. Returns 0 if another flush holds
    the spool.
    """
    spool = Spool(spool_path)
    if not spool.path.exists() and not list(spool.path.parent.glob(spool.path.name + ".*.replaying")):
        return 0
    stored = 0
    with spool.draining() as drained:
        if drained is None:
            return 0
        entries, put_back = drained
        for position, entry in enumerate(entries):
            fields = entry.record.get("fields") if entry.record else None
            if not isinstance(fields, dict):
                spool.reject(entry, "not a spool record")
                continue
            try:
                survey = validate_survey_fields(**fields)
            except (TypeError, ValueError) as exc:
                spool.reject(entry, f"invalid: {exc}")
                continue
            try:
                _store_in_own_transaction(session_factory, survey)
            except SQLAlchemyError as exc:
                logger.warning("NPS spool flush stopped, %d answers kept: %s", len(entries) - position, exc)
                put_back.extend(entries[position:])
                break
            stored += 1
    return stored
