"""The duplicate finder's search (app.customers.duplicates): names compared within two
blocks, and how far a search got told as it goes."""
from __future__ import annotations

from sqlalchemy import true

from app.customers.duplicates import find_candidates, ranked_pairs
from tests.factories import make_customer


def _pairs(user) -> set[tuple[int, int]]:
    return {(c.first.id, c.second.id) for c in find_candidates(user, limit=None)}


def test_a_slip_among_the_first_letters_of_a_name_is_still_found(app, db, make_user):
    admin = make_user("admin")
    smith = make_customer(first_name="Margaret", last_name="Smith", emails=())
    smtih = make_customer(first_name="Margaret", last_name="Smtih", emails=())
    harbour = make_customer(kind="company", company="Harbour Foods Ltd", emails=())
    hrabour = make_customer(kind="company", company="Hrabour Foods Ltd", emails=())
    # Same first letters sorted ("~imst"), a different surname: not a pair.
    make_customer(first_name="Margaret", last_name="Mitsopoulos", emails=())
    assert _pairs(admin) == {(smith.id, smtih.id), (harbour.id, hrabour.id)}


def test_namesakes_are_offered_once_and_family_members_not_at_all(app, db, make_user):
    admin = make_user("admin")
    a = make_customer(first_name="John", last_name="Walsh", emails=())
    b = make_customer(first_name="John", last_name="Walsh", emails=())
    c = make_customer(first_name="Jon", last_name="Walsh", emails=())
    make_customer(first_name="Aoife", last_name="Walsh", emails=())
    found = find_candidates(admin, limit=None)
    assert sorted((x.first.id, x.second.id) for x in found) == [
        (a.id, b.id), (a.id, c.id), (b.id, c.id)]
    assert {x.reasons["name"] for x in found if x.second.id == b.id} == {"100"}


def test_a_search_reports_each_step_in_order(app, db, make_user):
    make_customer(first_name="Ada", last_name="Lovelace", id_number="GB1", emails=("a@x.org",))
    make_customer(first_name="Ada", last_name="Lovelace", id_number="GB 1", emails=())
    reports = []
    ranked = ranked_pairs(true(), lambda step, fraction: reports.append((step, fraction)))
    assert [r[2] for r in ranked] == [{"identifier": "tax_id", "name": "100"}]
    steps = list(dict.fromkeys(step for step, _ in reports))
    assert steps == ["emails", "phones", "numbers", "names"]
    assert all(0.0 <= fraction < 1.0 for _, fraction in reports)


def test_a_name_written_without_its_accents_is_the_same_name(app, make_user):
    from app.customers.duplicates import find_candidates
    from tests.factories import make_customer

    admin = make_user("admin")
    zoe = make_customer(first_name="Zoë", last_name="Müller", emails=("z1@a.example",))
    plain = make_customer(first_name="Zoe", last_name="Muller", emails=("z2@b.example",))
    make_customer(first_name="Lena", last_name="Müller", emails=("l@c.example",))
    pairs = {(c.first.id, c.second.id) for c in find_candidates(admin)}
    assert tuple(sorted((zoe.id, plain.id))) in pairs
    assert len(pairs) == 1  # Lena is family, not the same customer
