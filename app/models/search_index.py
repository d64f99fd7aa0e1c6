"""A trigram index over `customers.search_text`, so a search needn't read every row.

Customer search is a substring match (`LIKE '%term%'`): without an index it reads the
whole table for every keystroke. Each database gets the trigram index it has:

- PostgreSQL: a GIN index with pg_trgm's operator class. The planner uses it for
  `LIKE '%term%'` by itself (and still scans when a term matches most rows).
- SQLite: an FTS5 table with the trigram tokenizer, holding a copy of search_text that
  triggers keep in step with `customers` (an erased customer leaves nothing behind).
  It is asked explicitly: see `sqlite_prefilter`.

Neither can be said in model metadata, so `install` runs after the customers table is
created (create_all, and migration 0002), and `is_search_index_object` keeps Alembic's
schema comparison from reporting them. Terms shorter than three characters have no
trigram: they are matched by LIKE alone.

A later migration that rebuilds `customers` on SQLite (batch_alter_table copies the
table and drops the old one, triggers included) must run `statements("sqlite")` again
afterwards; tests/customers/test_search_index.py checks the triggers exist at the head revision.
"""
from __future__ import annotations

import sqlite3
from functools import lru_cache

from sqlalchemy import Connection, Engine, column, event, func, inspect, select, table, text

FTS_TABLE = "customers_search"
PG_INDEX = "ix_customers_search_trgm"
MIN_TERM = 3  # a trigram needs three characters

_SQLITE_DDL = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5("
    "search_text, content='customers', content_rowid='id', tokenize='trigram')",
    f"CREATE TRIGGER IF NOT EXISTS customers_search_insert AFTER INSERT ON customers BEGIN "
    f"INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text); END",
    f"CREATE TRIGGER IF NOT EXISTS customers_search_delete AFTER DELETE ON customers BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); END",
    f"CREATE TRIGGER IF NOT EXISTS customers_search_update "
    f"AFTER UPDATE OF search_text ON customers BEGIN "
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, search_text) "
    "VALUES ('delete', old.id, old.search_text); "
    f"INSERT INTO {FTS_TABLE}(rowid, search_text) VALUES (new.id, new.search_text); END",
    # Rows that existed before the index (a database migrated with data in it).
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')",
)
_POSTGRES_DDL = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON customers "
    "USING gin (search_text gin_trgm_ops)",
)
_SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS customers_search_insert",
    "DROP TRIGGER IF EXISTS customers_search_delete",
    "DROP TRIGGER IF EXISTS customers_search_update",
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
)
_POSTGRES_DROP = (f"DROP INDEX IF EXISTS {PG_INDEX}",)

_fts = table(FTS_TABLE, column("rowid"), column("search_text"))


@lru_cache(maxsize=1)
def sqlite_has_trigrams() -> bool:
    """Whether this Python's SQLite has FTS5 with the trigram tokenizer (3.34+)."""
    try:
        with sqlite3.connect(":memory:") as conn:
            conn.execute("CREATE VIRTUAL TABLE t USING fts5(x, tokenize='trigram')")
        return True
    except sqlite3.OperationalError:
        return False


def statements(dialect: str) -> tuple[str, ...]:
    """The DDL creating the index on this database (idempotent); none where it can't be
    made, and searches then scan."""
    if dialect == "postgresql":
        return _POSTGRES_DDL
    if dialect == "sqlite" and sqlite_has_trigrams():
        return _SQLITE_DDL
    return ()


def drop_statements(dialect: str) -> tuple[str, ...]:
    return {"postgresql": _POSTGRES_DROP, "sqlite": _SQLITE_DROP}.get(dialect, ())


def install(connection: Connection) -> None:
    for statement in statements(connection.dialect.name):
        connection.execute(text(statement))


def uninstall(connection: Connection) -> None:
    for statement in drop_statements(connection.dialect.name):
        connection.execute(text(statement))


def purge(connection: Connection) -> None:
    """Merge the SQLite index so entries of deleted rows are gone, not just marked."""
    if connection.dialect.name == "sqlite" and _has_fts_table(connection.engine):
        connection.execute(text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('optimize')"))


def listen(customers_table) -> None:
    """Install the index whenever `create_all` creates the customers table."""
    event.listen(customers_table, "after_create",
                 lambda target, connection, **kw: install(connection))
    event.listen(customers_table, "before_drop",
                 lambda target, connection, **kw: uninstall(connection))


def is_search_index_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic `include_object`: leave the search index out of schema comparison."""
    if type_ == "table" and name and name.startswith(FTS_TABLE):
        return False  # the FTS5 table and its shadow tables
    return not (type_ == "index" and name == PG_INDEX)


@lru_cache(maxsize=16)
def _has_fts_table(engine: Engine) -> bool:
    return inspect(engine).has_table(FTS_TABLE)


def match_expression(terms: list[str]) -> str | None:
    """An FTS5 query requiring every term of three or more characters as a substring."""
    phrases = ['"' + term.replace('"', '""') + '"' for term in terms if len(term) >= MIN_TERM]
    return " AND ".join(phrases) or None


def plan_for_the_pattern(session) -> None:
    """PostgreSQL: plan this transaction's queries for the actual search pattern.

    psycopg prepares a statement once it has run five times, and PostgreSQL may then
    switch to a generic plan, which can't know that '%example.com%' matches every row:
    it reads the trigram index for it (a seq scan that stops early is 3x quicker).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))


def sqlite_prefilter(session, id_column, terms: list[str], limit: int):
    """A clause narrowing `id_column` to FTS matches, when at most `limit` rows match.

    None on PostgreSQL (its index needs no help), without an FTS table, with no term
    long enough, or when more than `limit` rows match (then a scan that stops after a
    page of matches is quicker than reading every match from the index). The caller
    keeps its LIKE conditions: this only narrows the rows they are checked on.
    """
    engine = session.get_bind()
    if engine.dialect.name != "sqlite" or not _has_fts_table(engine):
        return None
    expression = match_expression(terms)
    if expression is None:
        return None
    matches = (select(_fts.c.rowid)
               .where(_fts.c.search_text.op("MATCH")(expression)))
    found = session.scalar(select(func.count())
                           .select_from(matches.limit(limit + 1).subquery()))
    if found > limit:
        return None
    return id_column.in_(matches)
