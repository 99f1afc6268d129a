"""Coaching assignments: create one with its baseline, list them, and review whether they worked."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from analytics.coaching.gaps import Effect, coaching_effect, mean_and_variance
from analytics.coaching.queries import conversation_values
from analytics.coaching.targets import Targets
from analytics.storage.models import Agent, CoachingAssignment

STATUSES = ("open", "done", "cancelled")


class CoachingError(ValueError):
    """A coaching request that cannot be carried out, with the reason."""


def assign(session: Session, targets: Targets, *, agent_id: str, dimension: str, now: datetime,
           touchpoint: str | None = None, assigned_by: str | None = None, note: str | None = None,
           due_days: int = 14) -> CoachingAssignment:
    if dimension not in targets.dimensions:
        raise CoachingError(f"unknown dimension {dimension!r}; choose one of {', '.join(targets.dimensions)}")
    if session.get(Agent, agent_id) is None:
        raise CoachingError(f"unknown agent {agent_id!r} (agents appear when their conversations are imported)")
    baseline = mean_and_variance(conversation_values(
        session, agent_id, dimension, now - timedelta(days=targets.window_days), now, touchpoint))
    assignment = CoachingAssignment(
        agent_id=agent_id, dimension=dimension, touchpoint=touchpoint, assigned_by=assigned_by, note=note,
        assigned_at=now, due_at=now + timedelta(days=due_days), status="open",
        baseline_value=None if baseline is None else round(baseline[0], 2),
        target_value=targets.dimensions[dimension].target,
    )
    session.add(assignment)
    session.flush()
    return assignment


def set_status(session: Session, assignment_id: int, status: str, now: datetime) -> CoachingAssignment:
    if status not in STATUSES:
        raise CoachingError(f"status must be one of {', '.join(STATUSES)}, not {status!r}")
    assignment = session.get(CoachingAssignment, assignment_id)
    if assignment is None:
        raise CoachingError(f"no coaching assignment #{assignment_id}")
    assignment.status = status
    assignment.completed_at = now if status == "done" else None
    return assignment


@dataclass(frozen=True, slots=True)
class Review:
    assignment: CoachingAssignment
    effect: Effect
    meets_target: bool | None


def review(session: Session, targets: Targets, now: datetime, include_cancelled: bool = False) -> list[Review]:
    """Before (the window before assignment) vs after (from assignment until now), per assignment."""
    query = select(CoachingAssignment).order_by(CoachingAssignment.assigned_at)
    if not include_cancelled:
        query = query.where(CoachingAssignment.status != "cancelled")
    reviews = []
    for assignment in session.scalars(query):
        start = assignment.assigned_at
        before = conversation_values(session, assignment.agent_id, assignment.dimension,
                                     start - timedelta(days=targets.window_days), start, assignment.touchpoint)
        after = conversation_values(session, assignment.agent_id, assignment.dimension, start, now,
                                    assignment.touchpoint)
        effect = coaching_effect(before, after, min_n=targets.min_conversations,
                                 min_improvement=targets.min_improvement)
        target = assignment.target_value
        meets = None if effect.after_mean is None or target is None else effect.after_mean >= target
        reviews.append(Review(assignment, effect, meets))
    return reviews
