"""Imports that finish: good rows in, bad rows set aside to download, large files in the
worker with progress, and the rows set aside kept only for their uploader and a day."""
from __future__ import annotations

import csv
import gc
import io
from datetime import timedelta

import pytest

from app.customers import import_runs
from app.customers.csv_import import forget_abandoned
from app.models import AuditLog, Customer, CustomerImport, utcnow
from tests.conftest import csrf_token, login
from tests.customers.test_csv_import import _count, _import_id, _map, _upload

HEADER = "First Name,Last Name,Company,E-mail Address,Mobile Phone,Business Country/Region\n"


def _file(rows: int, bad_every: int = 0) -> str:
    """`rows` people; every `bad_every`-th has an address that isn't one."""
    lines = [HEADER]
    for n in range(rows):
        bad = bad_every and n % bad_every == bad_every - 1
        email = f"person{n}.at.example.com" if bad else f"person{n}@example.com"
        lines.append(f"Person{n},Surname{n},Firm {n % 97},{email},+44 20 {79460000 + n},"
                     f"{'United Kingdom' if n % 2 else 'Deutschland'}\n")
    return "".join(lines)


def _confirm(client, import_id, skip_problems=True):
    data = {"csrf_token": csrf_token(client, "/customers/import")}
    if skip_problems:
        data["skip_problems"] = "1"
    return client.post(f"/customers/import/{import_id}/confirm", data=data)


def test_ten_thousand_rows_with_two_hundred_bad_import_9800_and_offer_200_back(
        client, login_as, db, run_worker, found_by_search):
    login_as("admin")
    import_id = _import_id(_upload(client, _file(10_000, bad_every=50)))
    review = _map(client, import_id)
    assert 'data-testid="count-create">9,800<' in review.text
    assert 'data-testid="count-errors">200<' in review.text
    assert "Import 9,800 customers and set 200 aside" in review.text
    response = _confirm(client, import_id)
    assert response.status_code == 303
    upload = db.session.get(CustomerImport, import_id)
    assert upload.state == "queued" and _count(db) == 0  # large: the worker does it
    page = client.get(response.headers["Location"])
    assert 'data-state="queued"' in page.text and "<progress" in page.text

    run_worker(timeout=600)

    db.session.expire_all()
    upload = db.session.get(CustomerImport, import_id)
    assert upload.state == "done" and upload.processed == 10_000 and upload.data is None
    assert upload.summary == {"created": 9800, "updated": 0, "skipped": 0, "problems": 200}
    assert _count(db) == 9800
    assert found_by_search("person4321@example.com") == 1
    assert found_by_search("person49@example.com") == 0  # a bad row: not imported
    country = db.session.scalars(db.select(Customer).filter_by(last_name="Surname1")).one()
    assert country.addresses[0].country == "GB"

    finished = client.get(f"/customers/import/{import_id}/status")
    assert 'data-testid="done-created">9,800<' in finished.text
    assert 'data-testid="download-skipped"' in finished.text
    download = client.get(f"/customers/import/{import_id}/skipped.csv")
    assert download.status_code == 200
    assert download.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(download.data.decode("utf-8-sig"))))
    assert rows[0] == ["Line", "Problem", "First Name", "Last Name", "Company",
                       "E-mail Address", "Mobile Phone", "Business Country/Region"]
    assert len(rows) == 201
    assert [int(r[0]) for r in rows[1:]] == [n + 2 for n in range(49, 10_000, 50)]
    assert all("not a valid email address" in r[1] for r in rows[1:])
    assert rows[1][2:6] == ["Person49", "Surname49", "Firm 49", "person49.at.example.com"]
    assert db.session.scalar(db.select(db.func.count(AuditLog.id)).where(
        AuditLog.action == "customer.imported")) == 9800


@pytest.fixture
def found_by_search(db, make_user):
    from datetime import date

    from app.customers.search import ListParams, list_page

    admin = make_user("admin")

    def count(q: str) -> int:
        db.session.expire_all()
        _ids, total, _ = list_page(ListParams.from_args({"q": q, "status": "all"}), admin,
                                   date.today(), 1, 10)
        return total

    return count


def test_the_job_takes_only_the_import_id_and_is_safe_to_run_twice(client, login_as, db,
                                                                   run_worker, app):
    from app.queues import get_queue

    login_as("admin")
    import_id = _import_id(_upload(client, _file(450)))
    _map(client, import_id)
    _confirm(client, import_id, skip_problems=False)
    [job] = get_queue("default").get_jobs()
    assert job.func_name == "app.jobs.customers.import_customers"
    assert job.args == (import_id,) and job.kwargs == {}
    get_queue("default").enqueue(job.func_name, import_id)  # a second, as a sweep might
    collector = gc.get_threshold()
    run_worker()
    assert gc.get_threshold() == collector  # the job tunes it for its own duration only
    assert _count(db) == 450
    db.session.expire_all()
    assert db.session.get(CustomerImport, import_id).summary["created"] == 450


def test_an_interrupted_import_resumes_where_it_stopped(client, login_as, db, app):
    from app.models import CustomerEmail, User

    login_as("admin")
    import_id = _import_id(_upload(client, _file(1200)))
    _map(client, import_id)
    _confirm(client, import_id)
    upload = db.session.get(CustomerImport, import_id)
    # The first batch went in before the worker died.
    review = import_runs.validate(upload.data, upload.mapping, upload.mode, "GB")
    upload.state = "running"
    db.session.commit()
    assert import_runs.run_batch(import_runs.Progress(
        upload, review.rows, upload.data, upload.filename,
        db.session.get(User, upload.user_id), None, 0, dict(upload.summary), []))
    assert _count(db) == import_runs.BATCH
    assert import_runs.run(import_id, "GB") == "done"
    assert _count(db) == 1200  # nobody twice, nobody missing
    addresses = db.session.scalars(db.select(CustomerEmail.address)).all()
    assert len(set(addresses)) == len(addresses) == 1200


def test_a_lost_job_is_handed_to_a_worker_again(client, login_as, db, app, run_worker):
    from app.jobs.customers import forget_abandoned_imports
    from app.queues import get_queue

    login_as("admin")
    import_id = _import_id(_upload(client, _file(300)))
    _map(client, import_id)
    _confirm(client, import_id)
    get_queue("default").empty()  # the job is lost (Redis flushed, say)
    assert import_runs.stalled() == []  # not yet: it was confirmed a moment ago
    then = utcnow() - timedelta(minutes=10)
    db.session.execute(db.update(CustomerImport).values(updated_at=then))
    db.session.commit()
    forget_abandoned_imports()
    run_worker()
    db.session.expire_all()
    assert db.session.get(CustomerImport, import_id).state == "done" and _count(db) == 300


def test_rows_set_aside_belong_to_their_uploader(client, login_as, db, make_user):
    login_as("admin")
    import_id = _import_id(_upload(client, _file(20, bad_every=4)))
    _map(client, import_id)
    _confirm(client, import_id)
    url = f"/customers/import/{import_id}/skipped.csv"
    assert client.get(url).status_code == 200
    for role, status in (("staff", 403), ("admin", 404)):  # staff may not import at all
        client.post("/logout", data={"csrf_token": csrf_token(client)})
        login(client, make_user(role).email)
        assert client.get(url).status_code == status
        assert client.get(f"/customers/import/{import_id}/status").status_code == status
    assert db.session.scalar(db.select(db.func.count(AuditLog.id)).where(
        AuditLog.action == "customers.import_skipped_downloaded")) == 1


def test_rows_set_aside_expire_a_day_after_the_import(client, login_as, db):
    login_as("admin")
    import_id = _import_id(_upload(client, _file(20, bad_every=4)))
    _map(client, import_id)
    _confirm(client, import_id)
    forget_abandoned()
    db.session.commit()
    assert db.session.get(CustomerImport, import_id).skipped is not None  # today: kept
    raw = db.session.execute(db.text("SELECT skipped FROM customer_imports")).scalar()
    assert "person3.at.example.com" not in str(raw)  # encrypted at rest
    then = utcnow() - timedelta(hours=25)
    db.session.execute(db.update(CustomerImport).values(updated_at=then))
    db.session.commit()
    forget_abandoned()
    db.session.commit()
    db.session.expire_all()
    upload = db.session.get(CustomerImport, import_id)
    assert upload.skipped is None and upload.summary["problems"] == 5
    assert client.get(f"/customers/import/{import_id}/skipped.csv").status_code == 404
    assert "no longer kept" in client.get(f"/customers/import/{import_id}/status").text


def test_the_progress_fragment_stops_polling_when_done(client, login_as, db):
    login_as("admin")
    import_id = _import_id(_upload(client, _file(300)))
    _map(client, import_id)
    _confirm(client, import_id)
    url = f"/customers/import/{import_id}/status"
    waiting = client.get(url, headers={"HX-Request": "true"})
    assert waiting.status_code == 200 and "hx-trigger=\"every 1s\"" in waiting.text
    assert "<html" not in waiting.text  # the fragment only
    import_runs.run(import_id, "GB")
    done = client.get(url, headers={"HX-Request": "true"})
    assert done.status_code == 286 and "hx-trigger" not in done.text
    assert "300</strong> added" in done.text
