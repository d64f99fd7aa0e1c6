"""Several addresses in one field, as mail programs write them."""
from __future__ import annotations

from app.mail.address_list import MAX_ADDRESSES, Named, parse_addresses, split_addresses


def test_outlook_and_comma_lists_split_outside_quotes_and_brackets():
    assert split_addresses("a@x.org; B <b@y.org>") == ["a@x.org", "B <b@y.org>"]
    assert split_addresses('"Doe, Jane" <j@y.org>, c@z.org;;\n d@z.org ') == [
        '"Doe, Jane" <j@y.org>', "c@z.org", "d@z.org"]
    assert split_addresses("") == [] and split_addresses(" ; , ") == []


def test_each_address_is_validated_and_named():
    found, problems = parse_addresses('a@x.org; B <B@Y.org>; "Doe, Jane" <j@y.org>')
    assert found == [Named("a@x.org"), Named("b@y.org", "B"), Named("j@y.org", "Doe, Jane")]
    assert problems == []
    found, problems = parse_addresses("a@x.org; nope; C <c@>")
    assert found == [Named("a@x.org")]
    assert len(problems) == 2 and "“nope”" in problems[0] and "“C <c@>”" in problems[1]


def test_a_long_list_is_refused_with_its_count():
    many = "; ".join(f"p{i}@example.org" for i in range(MAX_ADDRESSES + 1))
    assert parse_addresses(many) == ([], [f"That is {MAX_ADDRESSES + 1} addresses; at most "
                                          f"{MAX_ADDRESSES} fit at once."])
