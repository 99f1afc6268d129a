"""Pass two of an import: write validated conversations in batches, skipping those already stored.

Conversations and turns go in with one DB-API ``executemany`` per batch (SQLAlchemy's per-row parameter
processing cost more than the database did). Each batch is its own transaction, so a long import never
holds the SQLite write lock for long. The file was fully validated before the first batch, so a bad file
writes nothing; if the database fails half way, running the same import again finishes it (already
stored conversations are skipped).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from analytics.importer.records import ConversationRecord
from analytics.nps.followup import followup_state, is_detractor
from analytics.storage.models import Agent, Conversation, Customer, NpsResponse, Touchpoint, Turn
from analytics.timeutil import utcnow

DEFAULT_SOURCE = "import"
BATCH_SIZE = 1000
CONVERSATION_COLUMNS = ("source", "external_id", "channel", "touchpoint_id", "customer_id", "started_at",
                        "ended_at", "resolved_outcome")
TURN_COLUMNS = ("conversation_id", "seq", "speaker", "agent_id", "text", "ts")


@dataclass
class ImportCounts:
    conversations: int = 0
    turns: int = 0
    skipped_existing: int = 0
    nps_responses: int = 0
    new_customers: int = 0
    new_agents: int = 0
    touchpoints: dict[str, int] = field(default_factory=dict)


def _executemany(session: Session, table: Table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """INSERT rows (tuples in ``columns`` order) with the driver's executemany, converting only datetimes.

    Datetimes go through the column type's own bind processor, so SQLite stores exactly the text that
    SQLAlchemy writes and reads everywhere else.
    """
    connection = session.connection()
    dialect = connection.dialect
    placeholder = "?" if dialect.paramstyle == "qmark" else "%s"
    processors = [table.c[name].type.bind_processor(dialect) for name in columns]
    if any(processors):
        rows = [tuple(value if process is None or value is None else process(value)
                      for value, process in zip(row, processors, strict=True)) for row in rows]
    quoted = ", ".join(dialect.identifier_preparer.quote(name) for name in columns)
    sql = f"INSERT INTO {table.name} ({quoted}) VALUES ({', '.join([placeholder] * len(columns))})"
    connection.exec_driver_sql(sql, rows)


def _batches(records: Iterable[ConversationRecord], size: int) -> Iterator[list[ConversationRecord]]:
    iterator = iter(records)
    while batch := list(islice(iterator, size)):
        yield batch


class ConversationWriter:
    """Writes batches of records; caches touchpoint ids (a handful) across batches, nothing else."""

    def __init__(self, session_factory: sessionmaker[Session], source: str = DEFAULT_SOURCE) -> None:
        self._session_factory = session_factory
        self._source = source
        self._touchpoint_ids: dict[str, int] = {}
        self.counts = ImportCounts()

    def write_all(self, records: Iterable[ConversationRecord], batch_size: int = BATCH_SIZE) -> ImportCounts:
        for batch in _batches(records, batch_size):
            self.write_batch(batch)
        return self.counts

    def write_batch(self, batch: list[ConversationRecord]) -> None:
        with self._session_factory.begin() as session:
            existing = set(session.scalars(
                select(Conversation.external_id).where(
                    Conversation.source == self._source,
                    Conversation.external_id.in_([record.conversation_id for record in batch]),
                )
            ))
            new_records = [record for record in batch if record.conversation_id not in existing]
            self.counts.skipped_existing += len(batch) - len(new_records)
            if not new_records:
                return
            self._ensure_customers(session, new_records)
            self._ensure_agents(session, new_records)
            self._ensure_touchpoints(session, new_records)
            conversation_ids = self._insert_conversations(session, new_records)
            self._insert_turns(session, new_records, conversation_ids)
            self._insert_nps(session, new_records, conversation_ids)

    def _ensure_customers(self, session: Session, records: list[ConversationRecord]) -> None:
        segments: dict[str, str | None] = {}
        for record in records:
            # The latest conversation's segment wins: customers move between segments.
            if record.customer_id and (record.segment or record.customer_id not in segments):
                segments[record.customer_id] = record.segment
        if not segments:
            return
        stored = dict(session.execute(
            select(Customer.id, Customer.segment).where(Customer.id.in_(list(segments)))
        ).tuples().all())
        new_rows = [{"id": cid, "segment": seg} for cid, seg in segments.items() if cid not in stored]
        if new_rows:
            session.connection().execute(insert(Customer.__table__), new_rows)
            self.counts.new_customers += len(new_rows)
        changed = [{"customer": cid, "new_segment": seg} for cid, seg in segments.items()
                   if cid in stored and seg and stored[cid] != seg]
        if changed:
            table = Customer.__table__
            session.connection().execute(
                update(table).where(table.c.id == bindparam("customer")).values(segment=bindparam("new_segment")),
                changed,
            )

    def _ensure_agents(self, session: Session, records: list[ConversationRecord]) -> None:
        agent_ids = {agent_id for record in records for agent_id in record.agent_ids}
        if not agent_ids:
            return
        stored = set(session.scalars(select(Agent.id).where(Agent.id.in_(list(agent_ids)))))
        new_rows = [{"id": agent_id} for agent_id in sorted(agent_ids - stored)]
        if new_rows:
            session.connection().execute(insert(Agent.__table__), new_rows)
            self.counts.new_agents += len(new_rows)

    def _ensure_touchpoints(self, session: Session, records: list[ConversationRecord]) -> None:
        names = {record.touchpoint for record in records if record.touchpoint} - set(self._touchpoint_ids)
        if not names:
            return
        self._touchpoint_ids.update(session.execute(
            select(Touchpoint.name, Touchpoint.id).where(Touchpoint.name.in_(list(names)))
        ).tuples().all())
        for name in sorted(names - set(self._touchpoint_ids)):
            touchpoint = Touchpoint(name=name)
            session.add(touchpoint)
            session.flush()
            self._touchpoint_ids[name] = touchpoint.id

    def _insert_conversations(self, session: Session, records: list[ConversationRecord]) -> dict[str, int]:
        touchpoint_ids = self._touchpoint_ids
        rows = [
            (self._source, record.conversation_id, record.channel,
             touchpoint_ids.get(record.touchpoint) if record.touchpoint else None,
             record.customer_id, record.started_at, record.ended_at, record.resolved)
            for record in records
        ]
        # A plain executemany and one SELECT of the new ids: SQLite would run an INSERT ... RETURNING per row.
        _executemany(session, Conversation.__table__, CONVERSATION_COLUMNS, rows)
        returned = session.execute(
            select(Conversation.external_id, Conversation.id).where(
                Conversation.source == self._source,
                Conversation.external_id.in_([record.conversation_id for record in records]),
            )
        ).tuples().all()
        self.counts.conversations += len(returned)
        for record in records:
            if record.touchpoint:
                self.counts.touchpoints[record.touchpoint] = self.counts.touchpoints.get(record.touchpoint, 0) + 1
        return dict(returned)

    def _insert_turns(self, session: Session, records: list[ConversationRecord],
                      conversation_ids: dict[str, int]) -> None:
        rows = [
            (conversation_ids[record.conversation_id], seq, turn.speaker, turn.agent_id, turn.text, turn.ts)
            for record in records
            for seq, turn in enumerate(record.turns)
        ]
        _executemany(session, Turn.__table__, TURN_COLUMNS, rows)
        self.counts.turns += len(rows)

    def _insert_nps(self, session: Session, records: list[ConversationRecord],
                    conversation_ids: dict[str, int]) -> None:
        now = utcnow()
        rows = []
        for record in records:
            if record.nps is None:
                continue
            responded_at = record.ended_at or record.started_at or now
            followup_status, followup_due = followup_state(
                detractor=is_detractor("answered", record.nps.score), current_status=None, current_due=None,
                responded_at=responded_at)
            rows.append({
                "source": self._source,
                "survey_key": f"conversation:{record.conversation_id}",
                "conversation_id": conversation_ids[record.conversation_id],
                "conversation_external_id": record.conversation_id,
                "customer_id": record.customer_id,
                "segment": record.segment,
                "touchpoint": record.touchpoint,
                "channel": record.channel,
                "agent_ids": record.agent_ids,
                "status": "answered",
                "score": record.nps.score,
                "comment": record.nps.comment,
                "asked_at": responded_at,
                "responded_at": responded_at,
                "followup_status": followup_status,
                "followup_due": followup_due,
            })
        if rows:
            session.connection().execute(insert(NpsResponse.__table__), rows)
            self.counts.nps_responses += len(rows)
