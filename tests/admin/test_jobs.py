"""Admin → Jobs against the real (embedded) Redis, with a real in-process burst worker."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
import redis
from rq import Worker
from rq.registry import FailedJobRegistry

from app.models import AuditLog, EmailMessage
from app.queues import get_queue, get_redis
from tests.conftest import csrf_from
from tests.jobs.helpers import fail_loudly, run_burst_worker, succeed


@pytest.fixture
def admin(login_as):
    return login_as("admin")


def _failed_job(app):
    job = get_queue("default").enqueue(fail_loudly, 42)
    run_burst_worker(app)
    assert job.get_status(refresh=True) == "failed"
    return job


def test_failed_job_shows_its_error_and_retry_puts_it_back(app, db, client, admin):
    job = _failed_job(app)
    page = client.get("/admin/jobs")
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert "tests.jobs.helpers.fail_loudly" in page.text
    assert "ValueError: the printer is on fire (customer 42)" in page.text
    assert f'data-job-id="{job.id}"' in page.text and ">Retry</button>" in page.text

    response = client.post(f"/admin/jobs/failed/{job.id}/retry",
                           data={"csrf_token": csrf_from(page.text)})
    assert response.status_code == 303 and response.location.endswith("/admin/jobs")
    assert FailedJobRegistry("default", connection=get_redis()).count == 0
    assert job.id in get_queue("default").job_ids
    entry = db.session.scalars(db.select(AuditLog).filter_by(action="job.retried")).one()
    assert entry.details["job_id"] == job.id and entry.user_id == admin.id
    after = client.get("/admin/jobs")
    assert "is back on the default queue" in after.text and "No failed jobs." in after.text

    # It fails again when it runs again, and shows up again.
    run_burst_worker(app)
    assert job.id in FailedJobRegistry("default", connection=get_redis()).get_job_ids()


def test_retry_from_htmx_answers_with_the_refreshed_fragment(app, client, admin):
    job = _failed_job(app)
    token = csrf_from(client.get("/admin/jobs").text)
    response = client.post(f"/admin/jobs/failed/{job.id}/retry",
                           headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 200
    assert "<html" not in response.text and "<h1>" not in response.text
    assert "is back on the default queue" in response.text


def test_retry_needs_csrf_and_an_existing_failed_job(app, client, admin):
    job = _failed_job(app)
    assert client.post(f"/admin/jobs/failed/{job.id}/retry").status_code == 400
    token = csrf_from(client.get("/admin/jobs").text)
    missing = client.post("/admin/jobs/failed/no-such-job/retry",
                          data={"csrf_token": token})
    assert missing.status_code == 404
    # An id RQ could never have made ("a.b" fails its own validation) is simply not there.
    assert client.post("/admin/jobs/failed/a.b/retry",
                       data={"csrf_token": token}).status_code == 404
    ok = get_queue("default").enqueue(succeed)
    run_burst_worker(app)
    not_failed = client.post(f"/admin/jobs/failed/{ok.id}/retry", data={"csrf_token": token})
    assert not_failed.status_code == 404


def test_page_shows_queues_workers_and_scheduled_jobs(app, client, admin):
    get_queue("mail").enqueue(succeed)
    get_queue("mail").enqueue(succeed)
    get_queue("events").enqueue_in(timedelta(hours=1), succeed)
    worker = Worker([get_queue("mail")], connection=get_redis(), name="ops-test-worker")
    worker.register_birth()
    try:
        page = client.get("/admin/jobs").text
    finally:
        worker.register_death()
    # Cells carry their column's name (data-label) for the phone's card layout.
    assert ('<tr data-queue="mail"><td data-label="Queue"><code>mail</code></td>'
            '<td data-label="Waiting" class="num">2</td>') in page
    assert ('<tr data-queue="events"><td data-label="Queue"><code>events</code></td>'
            '<td data-label="Waiting" class="num">0</td><td data-label="Running" class="num">0'
            '</td><td data-label="Scheduled" class="num">1</td>') in page
    assert "ops-test-worker" in page and "1 alive" in page
    assert "tests.jobs.helpers.succeed" in page  # the scheduled one


def test_polling_fragment_is_only_the_live_block(app, client, admin):
    page = client.get("/admin/jobs").text
    assert 'hx-trigger="every 5s"' in page and 'id="jobs-live"' in page
    fragment = client.get("/admin/jobs", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<h2>Queues</h2>" in fragment.text
    assert "<h1>" not in fragment.text and "hx-trigger" not in fragment.text
    assert fragment.headers["Cache-Control"] == "no-store"


def _message(db, state: str, created_ago: timedelta, **fields) -> EmailMessage:
    now, unique = datetime.now(timezone.utc), uuid.uuid4().hex[:8]
    message = EmailMessage(to_address=f"{state}-{unique}@example.com", batch=unique,
                           subject="Invoice", body_text="Hello",
                           message_id=f"<{unique}@example.com>", state=state,
                           created_at=now - created_ago, **fields)
    db.session.add(message)
    db.session.commit()
    return message


def test_messages_stuck_in_queued_or_sending_are_listed_with_their_age(app, db, client, admin):
    now = datetime.now(timezone.utc)
    stuck_sending = _message(db, "sending", timedelta(hours=2), attempts=1,
                             claimed_at=now - timedelta(minutes=45))
    stuck_queued = _message(db, "queued", timedelta(hours=3))
    _message(db, "queued", timedelta(minutes=1))  # just queued
    _message(db, "queued", timedelta(hours=1), next_attempt_at=now + timedelta(minutes=5))
    _message(db, "sent", timedelta(days=1))
    page = client.get("/admin/jobs").text
    assert page.count("data-message-id=") == 2
    assert f'data-message-id="{stuck_queued.id}"' in page
    assert f'data-message-id="{stuck_sending.id}"' in page
    assert "45 min" in page and "3 h" in page
    assert page.index(f'"{stuck_queued.id}"') < page.index(f'"{stuck_sending.id}"')


def test_redis_down_still_renders_with_a_clear_notice(app, db, client, admin):
    job = _failed_job(app)
    token = csrf_from(client.get("/admin/jobs").text)
    _message(db, "sending", timedelta(hours=1))
    app.extensions["redis"] = redis.Redis.from_url("redis://127.0.0.1:1/0",
                                                   socket_connect_timeout=0.2)
    page = client.get("/admin/jobs")
    assert page.status_code == 200 and "Redis is unreachable" in page.text
    assert "data-message-id=" in page.text  # the database part still shows
    fragment = client.get("/admin/jobs", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "Redis is unreachable" in fragment.text
    retry = client.post(f"/admin/jobs/failed/{job.id}/retry", data={"csrf_token": token})
    assert retry.status_code == 503
    retry = client.post(f"/admin/jobs/failed/{job.id}/retry", data={"csrf_token": token},
                        headers={"HX-Request": "true"})
    assert retry.status_code == 503 and "nothing was retried" in retry.text
    assert retry.headers["HX-Retarget"] == "#jobs-live"


def test_other_roles_cannot_open_jobs(client, login_as):
    login_as("billing")
    assert client.get("/admin/jobs").status_code == 403
