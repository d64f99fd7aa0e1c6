"""Duplicates page (the last check's list, checking again with progress), "not a
duplicate", merging two files on the page, undo, the merged id's redirect, and the
warning when adding a customer who is already on file."""
from __future__ import annotations

import pytest

from app.customers import duplicate_checks
from app.customers.duplicates import find_candidates
from app.models import AuditLog, Customer, CustomerMerge, DuplicateCheck, DuplicateDismissal
from tests.conftest import csrf_token
from tests.factories import make_customer, make_invoice


def _audit(db, action):
    return db.session.scalars(db.select(AuditLog).filter_by(action=action)).all()


@pytest.mark.parametrize("role", ["staff", "viewer"])
def test_roles_without_merge_get_403(client, login_as, db, role):
    user = login_as(role)
    a = make_customer(owner=user, emails=("same@example.org",))
    b = make_customer(owner=user, emails=("same@example.org",))
    token = csrf_token(client, "/customers/")
    assert client.get("/customers/duplicates").status_code == 403
    assert client.get("/customers/duplicates/progress").status_code == 403
    assert client.post("/customers/duplicates/check",
                       data={"csrf_token": token}).status_code == 403
    assert client.get(f"/customers/{a.id}/merge/{b.id}").status_code == 403
    assert client.post(f"/customers/{a.id}/merge/{b.id}",
                       data={"csrf_token": token}).status_code == 403
    assert db.session.get(Customer, b.id).merged_into_id is None


def test_the_finder_ranks_shared_numbers_emails_phones_and_similar_names(app, db, make_user):
    admin = make_user("admin")
    id_a = make_customer(last_name="Alpha", emails=(), id_number="DE 811 907 980")
    id_b = make_customer(last_name="Zulu", emails=(), id_number="de811907980")
    mail_a = make_customer(last_name="Bravo", emails=("Shared@Example.org",))
    mail_b = make_customer(last_name="Yankee", emails=("shared@example.org",))
    phone_a = make_customer(last_name="Charlie", emails=(), phones=("020 7946 0011",))
    phone_b = make_customer(last_name="Xray", emails=(), phones=("+44 20 7946 0011",))
    name_a = make_customer(first_name="Jonathan", last_name="Smithers", company="Acme",
                           emails=())
    name_b = make_customer(first_name="Johnathan", last_name="Smithers", company="Acme",
                           emails=())
    make_customer(first_name="Jane", last_name="Smithers", company="Other Trading", emails=())
    # One family, two people: the same surname, first names apart.
    make_customer(first_name="Mateo", last_name="Lefèvre", emails=())
    make_customer(first_name="Lena", last_name="Lefèvre", emails=())
    found = [(c.first.id, c.second.id, set(c.reasons)) for c in find_candidates(admin)]
    assert found == [(id_a.id, id_b.id, {"identifier"}), (mail_a.id, mail_b.id, {"email"}),
                     (phone_a.id, phone_b.id, {"phone"}), (name_a.id, name_b.id, {"name"})]


def test_the_finder_never_writes_a_decrypted_number(app, db, make_user):
    admin = make_user("admin")
    make_customer(emails=(), id_number="GB999888777")
    make_customer(emails=(), id_number="GB999888777")
    before = _dump(db)
    assert len(find_candidates(admin)) == 1
    db.session.commit()
    assert _dump(db) == before and "GB999888777" not in before


def _dump(db) -> str:
    conn = db.session.connection().connection.driver_connection
    if db.engine.dialect.name == "sqlite":
        return "\n".join(conn.iterdump())
    cur = conn.cursor()
    cur.execute("SELECT string_agg(t::text, '|') FROM customer_identifiers t")
    return str(cur.fetchone())


def test_staff_see_only_their_own_customers_in_the_finder(app, db, make_user):
    staff, other = make_user("staff"), make_user("staff")
    make_customer(owner=staff, emails=("a@example.org",))
    make_customer(owner=other, emails=("a@example.org",))
    assert find_candidates(staff) == []
    assert len(find_candidates(make_user("admin"))) == 1


def test_not_a_duplicate_is_remembered(client, login_as, db):
    login_as("billing")
    a = make_customer(emails=("twice@example.org",))
    b = make_customer(emails=("twice@example.org",))
    page = client.get("/customers/duplicates")
    assert "Not checked yet" in page.text and "twice@example.org" not in page.text
    _check_now(client)
    page = client.get("/customers/duplicates")
    assert page.status_code == 200 and "Same email: twice@example.org" in page.text
    assert "Last checked" in page.text
    response = client.post("/customers/duplicates/dismiss", data={
        "csrf_token": csrf_token(client, "/customers/duplicates"),
        "first_id": str(b.id), "second_id": str(a.id)})
    assert response.status_code == 303
    assert db.session.scalar(db.select(DuplicateDismissal.first_id)) == a.id
    page = client.get("/customers/duplicates")
    assert "twice@example.org" not in page.text and "No possible duplicates" in page.text
    assert len(_audit(db, "customer.not_duplicate")) == 1
    bad = client.post("/customers/duplicates/dismiss", data={
        "csrf_token": csrf_token(client, "/customers/duplicates"), "first_id": "x"})
    assert bad.status_code == 400


def _check_now(client):
    response = client.post("/customers/duplicates/check", data={
        "csrf_token": csrf_token(client, "/customers/duplicates")})
    assert response.status_code == 303


def test_a_small_office_is_checked_at_once_and_a_merge_leaves_the_list(client, login_as, db):
    login_as("admin")
    a = make_customer(emails=("same@example.org",))
    b = make_customer(emails=("Same@Example.org",))
    _check_now(client)
    assert "Same email: same@example.org" in client.get("/customers/duplicates").text
    response = client.post(f"/customers/{a.id}/merge/{b.id}", data={
        "csrf_token": csrf_token(client, f"/customers/{a.id}/merge/{b.id}")})
    assert response.status_code == 303
    # The stored pair is still there; the page leaves it out without a new check.
    page = client.get("/customers/duplicates")
    assert "same@example.org" not in page.text and "No possible duplicates" in page.text


def test_a_large_office_is_checked_by_the_worker_with_progress(client, login_as, db, app,
                                                               run_worker, monkeypatch):
    from app.queues import get_queue

    monkeypatch.setattr(duplicate_checks, "INLINE_CUSTOMERS", 1)  # two customers: "large"
    login_as("billing")
    a = make_customer(emails=(), phones=("020 7946 0011",))
    b = make_customer(emails=(), phones=("+44 20 7946 0011",))
    _check_now(client)
    [job] = get_queue("default").get_jobs()
    assert job.func_name == "app.jobs.customers.check_duplicates"
    (check_id,) = job.args
    assert job.kwargs == {} and isinstance(check_id, int)
    page = client.get("/customers/duplicates")
    assert "Waiting for the background worker" in page.text and "Not checked yet" in page.text
    assert 'data-testid="check-again" disabled' in page.text
    # Pressed again while it waits: the same check, not a second.
    _check_now(client)
    assert db.session.scalar(db.select(db.func.count()).select_from(DuplicateCheck)) == 1
    hx = {"HX-Request": "true"}
    polled = client.get("/customers/duplicates/progress", headers=hx)
    assert polled.status_code == 200 and 'hx-trigger="every 1s"' in polled.text
    assert "<html" not in polled.text
    get_queue("default").enqueue(job.func_name, check_id)  # a second run, as a retry might
    run_worker()
    finished = client.get("/customers/duplicates/progress", headers=hx)
    assert finished.headers["HX-Redirect"].endswith("/customers/duplicates")
    page = client.get("/customers/duplicates")
    assert "Same phone: +44 20 7946 0011" in page.text and "Last checked" in page.text
    assert f"/customers/{a.id}/merge/{b.id}" in page.text
    assert "hx-get" not in page.text.split('id="duplicate-check"')[1].split("</section>")[0]


def test_billing_merges_two_files_choosing_fields_and_undoes_it(client, login_as, db):
    login_as("billing")
    keep = make_customer(first_name="Ada", last_name="Lovelace", company="",
                         emails=("ada@example.org",))
    other = make_customer(first_name="Ada", last_name="King", company="Analytical",
                          emails=("countess@example.org",))
    invoice = make_invoice(other)
    page = client.get(f"/customers/{keep.id}/merge/{other.id}")
    assert page.status_code == 200 and "Lovelace" in page.text and "King" in page.text
    response = client.post(f"/customers/{keep.id}/merge/{other.id}", data={
        "csrf_token": csrf_token(client, f"/customers/{keep.id}/merge/{other.id}"),
        "company": "merged", "last_name": "survivor"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/customers/{keep.id}")
    db.session.expire_all()
    survivor = db.session.get(Customer, keep.id)
    assert (survivor.last_name, survivor.company) == ("Lovelace", "Analytical")
    assert db.session.get(type(invoice), invoice.id).customer_id == keep.id
    (entry,) = _audit(db, "customer.merged")
    assert entry.details["fields_from_merged"] == ["company"]
    # The merged id leads to the survivor, keeping the page asked for.
    moved = client.get(f"/customers/{other.id}")
    assert moved.status_code == 302 and moved.headers["Location"].endswith(
        f"/customers/{keep.id}")
    assert client.get(f"/customers/{other.id}/changes").headers["Location"].endswith(
        f"/customers/{keep.id}/changes")
    # A change sent to the merged id is not applied anywhere.
    assert client.post(f"/customers/{other.id}/notes", data={
        "csrf_token": csrf_token(client, "/customers/duplicates"),
        "kind": "call", "body": "x"}).status_code == 404
    # The merged file leaves the list; the finder no longer offers it.
    assert "King" not in client.get("/customers/?status=all").text
    undo_page = client.get("/customers/duplicates")
    assert "Undo merge" in undo_page.text
    merge = db.session.scalar(db.select(CustomerMerge))
    response = client.post(f"/customers/merges/{merge.id}/undo",
                           data={"csrf_token": csrf_token(client, "/customers/duplicates")})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Customer, keep.id).company == ""
    assert db.session.get(Customer, other.id).merged_into_id is None
    assert client.get(f"/customers/{other.id}").status_code == 200
    assert len(_audit(db, "customer.merge_undone")) == 1


def test_the_merged_id_is_404_for_those_who_cannot_see_the_survivor(client, login_as, db,
                                                                    make_user):
    admin = make_user("admin")
    staff = login_as("staff")
    theirs = make_customer(owner=admin)
    mine = make_customer(owner=staff)
    from app.customers.merge import merge_customers

    merge_customers(theirs, mine, {}, user=admin)
    db.session.commit()
    # Staff owned the merged file but may not see the survivor: as if it never was.
    assert client.get(f"/customers/{mine.id}").status_code == 404
    mine_again = make_customer(owner=staff)
    merge_customers(mine_again, make_customer(owner=admin), {}, user=admin)
    db.session.commit()
    merged_id = db.session.scalar(db.select(Customer.id).where(
        Customer.merged_into_id == mine_again.id))
    assert client.get(f"/customers/{merged_id}").status_code == 302


def test_merge_of_a_customer_the_user_cannot_see_is_404(client, login_as, db, make_user):
    login_as("billing")
    a, b = make_customer(), make_customer()
    assert client.get(f"/customers/{a.id}/merge/{a.id}").status_code == 400
    assert client.get(f"/customers/{a.id}/merge/99999").status_code == 404
    assert client.post("/customers/merges/99999/undo",
                       data={"csrf_token": csrf_token(client, "/customers/")}).status_code == 404
    assert b.merged_into_id is None


def test_adding_a_customer_with_the_same_name_and_company_warns(client, login_as, db):
    user = login_as("admin")
    existing = make_customer(first_name="Grace", last_name="Hopper", company="Navy",
                             emails=("grace@navy.example",))
    data = {"csrf_token": csrf_token(client, "/customers/new"), "kind": "person",
            "first_name": "grace", "last_name": "HOPPER", "company": "Navy",
            "email": "", "phone": "", "owner_id": str(user.id), "tags": ""}
    page = client.post("/customers/new", data=data)
    assert page.status_code == 409
    assert "Open existing" in page.text
    assert f'href="/customers/{existing.id}" data-testid="open-existing"' in page.text
    assert db.session.scalar(db.select(db.func.count(Customer.id))) == 1
    data["confirm_duplicate"] = "1"
    assert client.post("/customers/new", data=data).status_code == 303
    assert db.session.scalar(db.select(db.func.count(Customer.id))) == 2
