"""Every periodic job, in one visible list. A job that is not listed here never runs.

Each entry is enqueued by its dotted path, once across all workers, every `every_seconds`
(`app.jobs.runner.enqueue_due_periodic`). `tests/jobs/test_schedule.py` checks that every
entry resolves to a job function and that every job function in `app/jobs/` is either
listed here or enqueued by the code that owns it.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every_seconds: int
    func: str  # dotted path, enqueued by name so the job is importable by any worker
    queue: str = "default"
    timeout: int | None = None  # seconds; None: RQ's default (180)


SCHEDULE: tuple[PeriodicJob, ...] = (
    # mail: the outbox's safety net, and reminders
    PeriodicJob("outbox-sweep", 30, "app.jobs.mail.sweep_outbox", queue="mail"),
    # reminders: checked hourly so a restart catches up the same day; each invoice gets
    # each stage once (app.reminders.run)
    PeriodicJob("reminders", 3600, "app.jobs.mail.send_reminders", queue="mail"),
    # events: tracking hits, bounce mail, delays that never resolved
    PeriodicJob("drain-hits", 5, "app.jobs.feedback.drain_hits", queue="events"),
    PeriodicJob("inbound-sweep", 60, "app.jobs.feedback.sweep_inbound", queue="events"),
    PeriodicJob("bounce-mailbox", 60, "app.jobs.feedback.poll_bounce_mailbox", queue="events"),
    PeriodicJob("settle-delays", 3600, "app.jobs.feedback.settle_delays", queue="events"),
    # attention: items that come due with time, and the daily notification digest
    PeriodicJob("attention-scan", 900, "app.jobs.attention.scan_attention"),
    # follow-ups: suggestions from the office's rules, and follow-ups that came due
    PeriodicJob("followup-scan", 900, "app.jobs.followups.suggest_followups"),
    PeriodicJob("notification-digest", 86400, "app.jobs.attention.send_notification_digests",
                queue="mail"),
    # housekeeping: backups (checked often, made when due), abandoned or stalled imports
    PeriodicJob("backup", 600, "app.jobs.backups.make_scheduled_backup", timeout=3600),
    PeriodicJob("forget-abandoned-imports", 300,
                "app.jobs.customers.forget_abandoned_imports"),
    # customers: the duplicate finder's list (seconds of work at 50,000 customers)
    PeriodicJob("duplicate-check", 86400, "app.jobs.customers.check_duplicates_daily",
                timeout=1800),
)
