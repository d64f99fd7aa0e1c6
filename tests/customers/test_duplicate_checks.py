"""A duplicate check run as a job (app.customers.duplicate_checks): what it stores, and
the list read from it for each person, as the files are now."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from app.customers import duplicate_checks
from app.customers.duplicates import dismiss_pair
from app.customers.privacy import erase_customer
from app.jobs.customers import check_duplicates_daily
from app.models import DuplicateCheck, DuplicatePair, utcnow
from tests.factories import make_customer


_NAMES = iter(["Okafor", "Lindqvist", "Barros", "Hughes", "Nakamura", "Petrov", "Quinn",
               "Duarte", "Eklund", "Mbeki", "Varga", "Zeller"] * 3)


def _customer(**fields):
    """A customer named unlike every other here, so only what a test shares pairs them."""
    return make_customer(first_name="", last_name=next(_NAMES), **fields)


def _check(db, user=None) -> DuplicateCheck:
    check, new = duplicate_checks.start(user)
    db.session.commit()
    assert new
    assert duplicate_checks.run(check.id) == "done"
    db.session.expire_all()
    return db.session.get(DuplicateCheck, check.id)


def _shown(check, user) -> list[tuple[int, int]]:
    return [(c.first.id, c.second.id) for c in duplicate_checks.candidates(check, user)]


def test_a_check_stores_ids_and_kinds_and_never_what_is_shared(app, db, make_user):
    admin = make_user("admin")
    a = _customer(emails=("Shared@Example.org",), id_number="DE 811 907 980")
    b = _customer(emails=("shared@example.org",), id_number="de811907980")
    check = _check(db, admin)
    assert (check.state, check.percent, check.pairs_found) == ("done", 100, 1)
    assert check.finished_at is not None
    [stored] = db.session.scalars(select(DuplicatePair)).all()
    assert (stored.first_id, stored.second_id) == (a.id, b.id)
    assert stored.reasons == {"email": "", "identifier": "tax_id"}
    dump = str(db.session.execute(select(DuplicatePair.__table__)).all())
    assert "shared@" not in dump.lower() and "811" not in dump
    # The page reads the shared address from the files.
    [candidate] = duplicate_checks.candidates(check, admin)
    assert candidate.reasons == {"email": "shared@example.org", "identifier": "tax_id"}


def test_staff_see_only_stored_pairs_of_customers_they_may_see(app, db, make_user):
    staff, other = make_user("staff"), make_user("staff")
    mine = [_customer(owner=staff, emails=("mine@example.org",)) for _ in range(2)]
    _customer(owner=staff, emails=("split@example.org",))
    _customer(owner=other, emails=("split@example.org",))
    check = _check(db)
    assert check.pairs_found == 2
    assert _shown(check, staff) == [(mine[0].id, mine[1].id)]
    assert len(_shown(check, make_user("admin"))) == 2
    assert _shown(check, make_user("viewer")) != []  # sees all; the page asks customers.merge


def test_a_dismissal_or_an_erasure_after_the_check_leaves_the_list_at_once(app, db,
                                                                           make_user):
    admin = make_user("admin")
    a, b = (_customer(emails=("one@example.org",)) for _ in range(2))
    c, d = (_customer(emails=("two@example.org",)) for _ in range(2))
    check = _check(db, admin)
    assert sorted(_shown(check, admin)) == [(a.id, b.id), (c.id, d.id)]
    assert dismiss_pair(b, a, admin)
    db.session.commit()
    assert _shown(check, admin) == [(c.id, d.id)]
    erase_customer(c)
    db.session.commit()
    assert _shown(check, admin) == []
    assert db.session.scalar(select(func.count()).select_from(DuplicatePair)) == 1
    # The next check leaves the dismissed pair out altogether.
    assert _check(db, admin).pairs_found == 0


def test_a_new_check_replaces_the_last_and_one_under_way_is_not_started_twice(app, db,
                                                                                make_user):
    admin = make_user("admin")
    _customer(emails=("x@example.org",))
    _customer(emails=("x@example.org",))
    first = _check(db, admin)
    waiting, new = duplicate_checks.start(admin)
    db.session.commit()
    assert new and duplicate_checks.open_check().id == waiting.id
    assert duplicate_checks.start(admin) == (waiting, False)
    # The list of the last finished check stays usable while the next one waits.
    assert duplicate_checks.last_done().id == first.id
    assert len(duplicate_checks.candidates(first, admin)) == 1
    # A check quiet for longer than a worker takes was lost: the next press starts anew.
    waiting.updated_at = utcnow() - timedelta(seconds=duplicate_checks.STALLED_AFTER_S + 1)
    db.session.commit()
    again, new = duplicate_checks.start(admin)
    db.session.commit()
    assert new and again.id != waiting.id
    assert db.session.get(DuplicateCheck, waiting.id).state == "failed"
    assert duplicate_checks.run(again.id) == "done"
    assert duplicate_checks.run(again.id) == "done"  # run twice: left as it is
    ids = db.session.scalars(select(DuplicateCheck.id)).all()
    assert ids == [again.id]
    assert db.session.scalar(select(func.count()).select_from(DuplicatePair)) == 1


def test_the_daily_job_checks_every_customer(app, db):
    _customer(emails=("daily@example.org",))
    _customer(emails=("daily@example.org",))
    assert check_duplicates_daily() == "done"
    assert duplicate_checks.last_done().pairs_found == 1
