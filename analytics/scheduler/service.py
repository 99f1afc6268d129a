"""One APScheduler 3 scheduler per process, with our jobs: explicit ids, replace_existing, safe defaults."""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler

from analytics.scheduler.jobs import (
    JobContext,
    closed_handoff_survey_job,
    idle_survey_job,
    nps_upkeep_job,
    sync_job,
)

logger = logging.getLogger(__name__)

JOB_DEFAULTS = {
    "coalesce": True,  # after a pause, run a missed job once, not once per missed interval
    "max_instances": 1,  # a slow sync never overlaps the next one
    "misfire_grace_time": 60,
}


def _logged(job, context: JobContext):
    """Jobs must not kill the scheduler: log what failed, try again at the next interval."""

    def run() -> None:
        try:
            job(context)
        except Exception:
            logger.exception("job %s failed", job.__name__)

    run.__name__ = job.__name__
    return run


def add_jobs(scheduler: BaseScheduler, context: JobContext) -> None:
    settings = context.settings
    now = datetime.now(timezone.utc)  # first runs right away, then at the interval
    jobs = [
        ("tracker_sync", "Rasa tracker -> conversations", sync_job, settings.sync_interval_seconds),
        # Not after the sync: a failing sync must not hold back spooled answers.
        ("nps_upkeep", "NPS spool replay and late survey links", nps_upkeep_job,
         settings.nps_check_interval_seconds),
        ("nps_idle_trigger", "NPS survey for idle conversations", idle_survey_job,
         settings.nps_check_interval_seconds),
        ("nps_handoff_closed_trigger", "NPS survey after a closed handoff", closed_handoff_survey_job,
         settings.nps_check_interval_seconds),
    ]  # fmt: skip
    for job_id, name, job, seconds in jobs:
        scheduler.add_job(
            _logged(job, context), "interval", seconds=seconds, id=job_id, name=name,
            replace_existing=True, next_run_time=now,
        )  # fmt: skip


def make_blocking_scheduler(context: JobContext) -> BlockingScheduler:
    scheduler = BlockingScheduler(job_defaults=JOB_DEFAULTS, timezone=timezone.utc)
    add_jobs(scheduler, context)
    return scheduler
