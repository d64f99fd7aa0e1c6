"""Inserting many new customers at once, search fields included (a large CSV import).

The flush listener in `app.models.customers` keeps a customer's search fields through the
ORM's unit of work, which costs a few statements per object: 10,000 imported files with
their contacts take tens of seconds that way. Here new customers are built as ordinary
(transient) model objects, so every rule that sets their fields still applies, and are
written a table at a time per batch (one INSERT; on PostgreSQL one COPY, see
`_write_rows`). The search fields come from the same
`Customer.refresh_search_fields`; the database's search index follows by itself (the
SQLite triggers, PostgreSQL's trigram index). This is the one place allowed to insert
into the search source tables outside the ORM (tests/support/writes.py).
"""
from __future__ import annotations

from functools import lru_cache

from sqlalchemy import Table, func, insert, inspect, select
from sqlalchemy.orm.attributes import set_committed_value

from app.extensions import db
from app.models.customers import (
    Customer, CustomerAddress, CustomerEmail, CustomerIdentifier, CustomerPhone,
    customer_tags,
)

_CHILDREN = (("emails", CustomerEmail), ("phones", CustomerPhone),
             ("addresses", CustomerAddress), ("identifiers", CustomerIdentifier))


@lru_cache(maxsize=None)
def _defaults(model) -> tuple[tuple[str, object], ...]:
    """(attribute, default) for every column an INSERT writes; callables stay callables."""
    found = []
    for attr in inspect(model).column_attrs:
        if attr.key not in ("id", "customer_id"):
            default = attr.columns[0].default
            found.append((attr.key, None if default is None else
                          default.arg if default.is_callable else (lambda v: lambda _: v)(
                              default.arg)))
    return tuple(found)


def _with_defaults(obj):
    """A transient object with every column it was not given set to its default.

    Written to the instance's dict: the object never joins the session, so there is no
    change to track, and this runs for every row of an import.
    """
    state = obj.__dict__
    for key, default in _defaults(type(obj)):
        if key not in state:
            state[key] = None if default is None else default(None)
    for key in _collections(type(obj)):
        if key not in state:  # else reading it runs the lazy loader, for nothing
            set_committed_value(obj, key, [])
    return obj


@lru_cache(maxsize=None)
def _collections(model) -> tuple[str, ...]:
    return tuple(r.key for r in inspect(model).relationships if r.uselist)


def _values(obj) -> dict:
    """The columns of an object filled by `_with_defaults`, for an INSERT."""
    return {key: obj.__dict__[key] for key, _ in _defaults(type(obj))}


def _sequence_ids(count: int) -> list[int] | None:
    """`count` new customer ids drawn from the table's sequence on PostgreSQL; None
    elsewhere (SQLite has no sequence: its INSERT returns the ids).

    PostgreSQL's INSERT … RETURNING of many rows is one statement of ~12,000 parameters
    per 500 customers, which psycopg parses anew every time (it caches statements of up
    to 50 parameters): most of the insert's time. With the ids known beforehand, the rows
    go as one prepared INSERT, pipelined, as the other tables' rows do.
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return None
    return list(db.session.scalars(
        select(func.nextval(func.pg_get_serial_sequence(Customer.__tablename__, "id")))
        .select_from(func.generate_series(1, count))))


def _write_rows(table: Table, rows: list[dict]) -> None:
    """Insert rows (dicts with the same keys, one per column) into `table`.

    On PostgreSQL by COPY: an executemany INSERT costs psycopg and SQLAlchemy ~30 µs of
    Python a row, and PostgreSQL an execution each; COPY took 0.5 s of the worker's CPU
    and 0.3 s of the database's off 10,000 imported customers. The values pass through
    each column type's own bind processor (UTC times, encrypted identifiers) as they
    would in an INSERT; a value the database refuses fails the whole COPY, as it would
    the INSERT, and the import retries the rows one by one. COPY applies no column's
    Python-side default: the rows must give those columns (`_with_defaults` does).
    """
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        db.session.execute(insert(table), rows)
        return
    columns = list(rows[0])
    missing = [c.key for c in table.c if c.default is not None and c.key not in rows[0]]
    if missing:
        raise ValueError(f"rows for {table.name} lack {', '.join(missing)}, which have "
                         "defaults COPY would not apply")
    dialect = connection.dialect
    processors = [table.c[key].type.dialect_impl(dialect).bind_processor(dialect)
                  for key in columns]
    quote = dialect.identifier_preparer
    statement = (f"COPY {quote.format_table(table)} "
                 f"({', '.join(quote.quote(key) for key in columns)}) FROM STDIN")
    with connection.connection.driver_connection.cursor() as cursor, \
            cursor.copy(statement) as copy:
        for row in rows:
            copy.write_row([row[key] if process is None else process(row[key])
                            for key, process in zip(columns, processors)])


def insert_new_customers(customers: list[Customer]) -> list[int]:
    """Insert these new customers with their contacts, addresses, identifiers and tags.

    The objects stay outside the session (read their ids from the result, in order);
    tags must already exist. The caller commits.
    """
    if not customers:
        return []
    for customer in customers:
        _with_defaults(customer)
        for name, _model in _CHILDREN:
            for child in getattr(customer, name):
                _with_defaults(child)
        customer.refresh_search_fields()
    records = [_values(c) for c in customers]
    ids = _sequence_ids(len(records))
    if ids is None:
        ids = list(db.session.scalars(
            insert(Customer).returning(Customer.id, sort_by_parameter_order=True), records))
    else:
        _write_rows(Customer.__table__, [{**row, "id": cid} for cid, row in zip(ids, records)])
    for name, model in _CHILDREN:
        rows = [{**_values(child), "customer_id": cid}
                for cid, customer in zip(ids, customers) for child in getattr(customer, name)]
        if rows:
            _write_rows(model.__table__, rows)
    links = [{"customer_id": cid, "tag_id": tag.id}
             for cid, customer in zip(ids, customers) for tag in customer.tags]
    if links:
        _write_rows(customer_tags, links)
    return ids
