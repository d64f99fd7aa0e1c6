"""Templates display, views decide: read from the templates' syntax trees and the Jinja
environment.

* A list of states is the code's (`OPEN_STATES`, `STATUS_FILTERS`, …), never retyped
  in a template: no membership test against a literal list of strings, and no literal
  list that holds a state name.
* A template reads nothing of the request but its endpoint (which page is current): what
  the user sent (`request.form`, `request.args`, headers, the method) reaches it through
  the view's context.
* No Jinja global, filter or test reaches the database: the view loads what the page
  shows, once, for the page and its fragment alike.
"""
from __future__ import annotations

import inspect
import types
from collections.abc import Iterable

from jinja2 import Environment, nodes

# What a template may read of `request`.
REQUEST_ALLOWED = {"endpoint"}


def _literal_strings(node: nodes.Node) -> list[str] | None:
    """The strings of a literal tuple or list of strings, else None."""
    if not isinstance(node, (nodes.Tuple, nodes.List)) or not node.items:
        return None
    if all(isinstance(i, nodes.Const) and isinstance(i.value, str) for i in node.items):
        return [i.value for i in node.items]
    return None


def retyped_lists(env: Environment, templates: Iterable[tuple[str, str]],
                  states: set[str]) -> list[str]:
    """`(name, source)` pairs → each membership test against a literal list of strings,
    and each literal list or tuple naming one of `states`."""
    found = []
    for name, source in templates:
        tree = env.parse(source, name)
        tested = set()
        for compare in tree.find_all(nodes.Compare):
            for operand in compare.ops:
                if operand.op in ("in", "notin") and _literal_strings(operand.expr):
                    tested.add(id(operand.expr))
                    found.append(f"{name}:{compare.lineno}: tests membership in "
                                 f"{tuple(_literal_strings(operand.expr))}")
        for literal in (*tree.find_all(nodes.Tuple), *tree.find_all(nodes.List)):
            if id(literal) in tested:
                continue
            named = states.intersection(
                i.value for i in literal.items
                if isinstance(i, nodes.Const) and isinstance(i.value, str))
            if named:
                found.append(f"{name}:{literal.lineno}: retypes the states {sorted(named)}")
    return found


def request_reads(env: Environment, templates: Iterable[tuple[str, str]]) -> list[str]:
    """Each read of `request` other than `request.endpoint`."""
    found = []
    for name, source in templates:
        tree = env.parse(source, name)
        allowed = {id(n.node) for n in tree.find_all(nodes.Getattr)
                   if isinstance(n.node, nodes.Name) and n.node.name == "request"
                   and n.attr in REQUEST_ALLOWED}
        for node in tree.find_all(nodes.Name):
            if node.name == "request" and node.ctx == "load" and id(node) not in allowed:
                found.append(f"{name}:{node.lineno}: reads the request")
    return found


# Reads that go to the database at most once per request whatever a page draws, so a
# template may call them per row: the office settings are read from a per-process cache
# that checks one stamp row as a request starts (app/settings/store.py).
CACHED_READS = frozenset({"app.settings.store._fresh"})


def _reaches_database(function, database, seen: set) -> bool:
    """Whether `function`'s code (or any app function it names, transitively) names the
    database object or its session."""
    function = inspect.unwrap(function)
    code = getattr(function, "__code__", None)
    if code is None or id(function) in seen:
        return False
    if f"{getattr(function, '__module__', '')}.{function.__qualname__}" in CACHED_READS:
        return False
    seen.add(id(function))
    namespace = getattr(function, "__globals__", {})
    names: set[str] = set()
    pending = [code]
    while pending:
        current = pending.pop()
        names.update(current.co_names)
        pending += [c for c in current.co_consts if isinstance(c, types.CodeType)]
    values = [namespace.get(name) for name in names]
    for cell in function.__closure__ or ():
        try:
            values.append(cell.cell_contents)
        except ValueError:  # an empty cell
            continue
    for value in values:
        if value is database or value is getattr(database, "session", None):
            return True
        if isinstance(value, types.ModuleType) and value.__name__.startswith("app."):
            members = [getattr(value, n) for n in names if hasattr(value, n)]
        else:
            members = [value]
        for member in members:
            if member is database:
                return True
            if (isinstance(member, types.FunctionType)
                    and member.__module__.startswith("app.")
                    and _reaches_database(member, database, seen)):
                return True
    return False


def database_globals(env: Environment, database) -> list[str]:
    """Each Jinja global, filter or test whose code reaches `database`."""
    found = []
    for kind, table in (("global", env.globals), ("filter", env.filters),
                        ("test", env.tests)):
        for name, value in table.items():
            if callable(value) and _reaches_database(value, database, set()):
                found.append(f"{kind} {name!r} reaches the database")
    return found
