"""NPS aggregation in SQL, overall and by touchpoint, channel, agent, segment or week; detractor follow-ups.

Counting happens in the database (``SUM(CASE ...) GROUP BY``); Python only turns the counts into scores and
intervals (``maths``). Agents: a survey lists the agents involved in a JSON array; a survey counts once for
each of them. The array is expanded in SQL with the JSON set-returning function each engine has
(``json_each`` on SQLite, ``json_array_elements_text`` on PostgreSQL), so no schema change or Python-side
explosion is needed and grouping stays one query. Surveys without an agent (bot only) form their own group.
Weeks are ISO weeks (Monday to Sunday, UTC) of ``responded_at``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, and_, case, cast, func, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql import ColumnElement, Select

from analytics.nps.followup import DETRACTOR_MAX_SCORE, FOLLOWUP_STATUSES, PROMOTER_MIN_SCORE
from analytics.nps.maths import NpsCounts, NpsSummary, change_is_significant, summarize
from analytics.storage.models import NpsResponse

GROUPINGS = ("touchpoint", "channel", "agent", "segment", "week")


@dataclass(frozen=True, slots=True)
class SurveyFilter:
    since: datetime | None = None  # responded_at >= since
    until: datetime | None = None  # responded_at < until
    source: str | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if self.since is not None:
            conditions.append(NpsResponse.responded_at >= self.since)
        if self.until is not None:
            conditions.append(NpsResponse.responded_at < self.until)
        if self.source is not None:
            conditions.append(NpsResponse.source == self.source)
        return conditions


@dataclass(frozen=True, slots=True)
class GroupSummary:
    group: str | None  # None: the overall summary, or surveys with no value for the grouping
    summary: NpsSummary
    week_start: date | None = None

    def to_json(self) -> dict[str, Any]:
        counts, summary = self.summary.counts, self.summary
        data: dict[str, Any] = {
            "group": self.group,
            "responses": counts.responses,
            "nps": _round(summary.nps),
            "promoters": counts.promoters,
            "passives": counts.passives,
            "detractors": counts.detractors,
            "ci95": [_round(summary.ci95[0]), _round(summary.ci95[1])] if summary.ci95 else None,
            "declined": counts.declined,
            "abandoned": counts.abandoned,
            "throttled": counts.throttled,
            "response_rate": _round(summary.response_rate),
        }
        if self.week_start is not None:
            data["week_start"] = self.week_start.isoformat()
        return data


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _count_columns() -> list[ColumnElement[Any]]:
    answered = NpsResponse.status == "answered"

    def tally(condition: ColumnElement[bool], name: str) -> ColumnElement[Any]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0).label(name)

    return [
        tally(and_(answered, NpsResponse.score >= PROMOTER_MIN_SCORE), "promoters"),
        tally(and_(answered, NpsResponse.score > DETRACTOR_MAX_SCORE, NpsResponse.score < PROMOTER_MIN_SCORE),
              "passives"),
        tally(and_(answered, NpsResponse.score <= DETRACTOR_MAX_SCORE), "detractors"),
        tally(NpsResponse.status == "declined", "declined"),
        tally(NpsResponse.status == "abandoned", "abandoned"),
        tally(NpsResponse.status == "throttled", "throttled"),
    ]


def _counts(row: Any) -> NpsCounts:
    return NpsCounts(int(row.promoters), int(row.passives), int(row.detractors), int(row.declined),
                     int(row.abandoned), int(row.throttled))


def week_start_expression(dialect: str) -> ColumnElement[Any]:
    """The Monday (a date) of the ISO week of ``responded_at``, in SQL."""
    if dialect == "sqlite":
        # 'weekday 0' moves forward to Sunday (or stays on it); 6 days back is that week's Monday.
        return func.date(NpsResponse.responded_at, "weekday 0", "-6 days")
    if dialect == "postgresql":
        return cast(func.date_trunc("week", NpsResponse.responded_at), Date)
    raise NotImplementedError(f"weekly NPS needs SQLite or PostgreSQL, not {dialect}")


def _agent_values(dialect: str):
    if dialect == "sqlite":
        return func.json_each(NpsResponse.agent_ids).table_valued("value")
    if dialect == "postgresql":
        return func.json_array_elements_text(NpsResponse.agent_ids).table_valued("value")
    raise NotImplementedError(f"NPS by agent needs SQLite or PostgreSQL, not {dialect}")


def _grouped_query(session: Session, by: str) -> tuple[Select[Any], ColumnElement[Any]]:
    dialect = session.get_bind().dialect.name
    if by == "agent":
        agents = _agent_values(dialect)
        key = agents.c.value
        query = select(key.label("group_key"), *_count_columns()).select_from(NpsResponse).outerjoin(agents, true())
        return query, key
    key = {
        "touchpoint": NpsResponse.touchpoint,
        "channel": NpsResponse.channel,
        "segment": NpsResponse.segment,
        "week": week_start_expression(dialect),
    }[by]
    return select(key.label("group_key"), *_count_columns()), key


def nps_summary(session: Session, by: str | None = None, survey_filter: SurveyFilter | None = None
                ) -> list[GroupSummary]:
    """One ``GroupSummary`` per group (a single one with ``group=None`` when ``by`` is None).

    Order: weeks chronologically; other groupings by answered count, largest first, then name.
    """
    conditions = (survey_filter or SurveyFilter()).conditions()
    if by is None:
        row = session.execute(select(*_count_columns()).where(*conditions)).one()
        return [GroupSummary(None, summarize(_counts(row)))]
    if by not in GROUPINGS:
        raise ValueError(f"group by one of {'|'.join(GROUPINGS)}, not {by!r}")
    query, key = _grouped_query(session, by)
    rows = session.execute(query.where(*conditions).group_by(key)).all()
    groups: list[GroupSummary] = []
    for row in rows:
        if by == "week":
            start = _as_date(row.group_key)
            groups.append(GroupSummary(iso_week_label(start), summarize(_counts(row)), week_start=start))
        else:
            groups.append(GroupSummary(None if row.group_key is None else str(row.group_key),
                                       summarize(_counts(row))))
    if by == "week":
        return sorted(groups, key=lambda g: g.week_start or date.min)
    return sorted(groups, key=lambda g: (-g.summary.counts.responses, g.group is None, g.group or ""))


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def iso_week_label(week_start: date) -> str:
    year, week, _ = week_start.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True, slots=True)
class WeekTrend:
    week: GroupSummary
    change: float | None  # NPS points since the previous week with answers
    significant: bool | None  # is that change beyond chance at 95%?


def weekly_trend(session: Session, survey_filter: SurveyFilter | None = None, weeks: int | None = None
                 ) -> list[WeekTrend]:
    """Week-over-week NPS, with empty weeks filled in so a plot's time axis is honest."""
    by_week = nps_summary(session, "week", survey_filter)
    if not by_week:
        return []
    filled: list[GroupSummary] = []
    present = {group.week_start: group for group in by_week}
    current = by_week[0].week_start
    last = by_week[-1].week_start
    assert current is not None and last is not None
    while current <= last:
        filled.append(present.get(current) or GroupSummary(iso_week_label(current), summarize(NpsCounts()),
                                                           week_start=current))
        current += timedelta(days=7)
    if weeks is not None:
        filled = filled[-weeks:]
    trend: list[WeekTrend] = []
    previous: GroupSummary | None = None
    for group in filled:
        change = significant = None
        if previous is not None and group.summary.nps is not None and previous.summary.nps is not None:
            change = group.summary.nps - previous.summary.nps
            significant = change_is_significant(previous.summary.counts, group.summary.counts)
        trend.append(WeekTrend(group, change, significant))
        if group.summary.nps is not None:
            previous = group
    return trend


# --- detractor follow-up ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Followup:
    id: int
    responded_at: datetime
    score: int
    comment: str | None
    customer_id: str | None
    touchpoint: str | None
    channel: str | None
    agent_ids: list[str]
    owner: str | None
    status: str | None
    due: datetime | None
    overdue: bool


def detractor_followups(session: Session, now: datetime, *, include_closed: bool = False,
                        overdue_only: bool = False, limit: int | None = None,
                        survey_filter: SurveyFilter | None = None) -> list[Followup]:
    """Detractors to call back, the most urgent first."""
    conditions = [NpsResponse.status == "answered", NpsResponse.score <= DETRACTOR_MAX_SCORE,
                  *(survey_filter or SurveyFilter()).conditions()]
    if not include_closed:
        conditions.append(NpsResponse.followup_status.in_([s for s in FOLLOWUP_STATUSES if s != "closed"]))
    if overdue_only:
        conditions += [NpsResponse.followup_due < now, NpsResponse.followup_status != "closed"]
    query = (select(NpsResponse).where(*conditions)
             .order_by(NpsResponse.followup_due.is_(None), NpsResponse.followup_due, NpsResponse.id))
    if limit is not None:
        query = query.limit(limit)
    return [
        Followup(
            id=row.id, responded_at=row.responded_at, score=row.score or 0, comment=row.comment,
            customer_id=row.customer_id, touchpoint=row.touchpoint, channel=row.channel,
            agent_ids=list(row.agent_ids or []), owner=row.followup_owner, status=row.followup_status,
            due=row.followup_due,
            overdue=row.followup_status != "closed" and row.followup_due is not None and row.followup_due < now,
        )
        for row in session.scalars(query)
    ]


class FollowupError(ValueError):
    pass


def update_followup(session: Session, response_id: int, *, owner: str | None = None,
                    status: str | None = None) -> NpsResponse:
    """Assign an owner and/or move the follow-up of one detractor (open -> in_progress -> closed)."""
    if owner is None and status is None:
        raise FollowupError("give --owner and/or --status")
    if status is not None and status not in FOLLOWUP_STATUSES:
        raise FollowupError(f"status must be one of {'|'.join(FOLLOWUP_STATUSES)}, not {status!r}")
    if owner is not None and not owner.strip():
        raise FollowupError("owner must not be empty")
    if owner is not None and len(owner.strip()) > 128:
        raise FollowupError("owner must be at most 128 characters")
    response = session.get(NpsResponse, response_id)
    if response is None:
        raise FollowupError(f"no NPS response with id {response_id}")
    if response.status != "answered" or response.score is None or response.score > DETRACTOR_MAX_SCORE:
        raise FollowupError(f"NPS response {response_id} is not a detractor (score {response.score}, "
                            f"status {response.status}); only detractors are followed up")
    if owner is not None:
        response.followup_owner = owner.strip()
    if status is not None:
        response.followup_status = status
    session.flush()
    return response
