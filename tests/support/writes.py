"""Who writes what, read from the source of `app/`: the guards of rules with one home.

- Consent columns (value, time, source) are assigned only by `_write` in
  `app/customers/consent.py`: `consent_writes` finds every other assignment, `setattr`,
  keyword argument (a constructor, `.values(...)`) or statement dict that sets one.
- A customer's search fields are kept by a flush listener in `app/models/customers.py`,
  which a Core or bulk statement bypasses: `search_source_statements` finds every
  `update()` / `insert()` / `delete()` (function or method form, or `Model.query...`)
  aimed at a table the search fields are made of, except inside the one bulk writer
  (`SEARCH_WRITER`), which computes the search fields itself with the model's method. A table given as a variable (key
  rotation's `update(table)`) can't be read from the source; key rotation only touches
  encrypted columns, none of which is a search part.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

from tests.support.layers import modules

CONSENT_COLUMNS = {f"{kind}_consent{suffix}" for kind in ("marketing", "sharing")
                   for suffix in ("", "_at", "_source")}
CONSENT_WRITER = ("customers.consent", "_write")  # (module below the package, function)

# Tables the search fields are made of → the statements that would leave them stale.
# Deleting a customer needs no recomputing, and a new tag belongs to nobody yet.
SEARCH_SOURCES = {
    "Customer": {"update", "insert"},
    "CustomerEmail": {"update", "insert", "delete"},
    "CustomerPhone": {"update", "insert", "delete"},
    "customer_tags": {"update", "insert", "delete"},
    "Tag": {"update", "delete"},
}
# The one function allowed to insert into them directly: new customers in bulk, their
# search fields set by `Customer.refresh_search_fields` (tests/customers/test_search_fields.py
# checks its customers are found).
SEARCH_WRITER = ("models.customer_bulk", "insert_new_customers")
# The bulk writer's `_write_rows` (COPY on PostgreSQL) inserts as much as `insert()` does.
_INSERTS = {"insert", "pg_insert", "sqlite_insert", "_write_rows"}
_STATEMENTS = {"update", "delete", *_INSERTS}
# Statement-building calls whose dict arguments are rows or values.
_ROW_CALLS = {"values", "execute", "bulk_update_mappings", "bulk_insert_mappings"}


@dataclass(frozen=True)
class Write:
    module: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.module}:{self.line}: {self.what}"


def _files(root: Path, package: str):
    for name, path in modules(root, package).items():
        yield name, ast.parse(path.read_text(encoding="utf-8"))


def _names_in(node: ast.AST) -> set[str]:
    return {n.value for n in ast.walk(node) if isinstance(n, ast.Constant)
            and isinstance(n.value, str)}


def _targets(node: ast.AST):
    if isinstance(node, (ast.Tuple, ast.List)):
        for element in node.elts:
            yield from _targets(element)
    elif isinstance(node, ast.Starred):
        yield from _targets(node.value)
    else:
        yield node


class _ConsentWrites(ast.NodeVisitor):
    def __init__(self, module: str, allowed: str | None):
        self.module, self.allowed, self.found, self.stack = module, allowed, [], []
        self.loops: list[tuple[str, set[str]]] = []  # (loop variable, strings it runs over)

    def visit_For(self, node):
        if isinstance(node.target, ast.Name):
            self.loops.append((node.target.id, _names_in(node.iter)))
            self.generic_visit(node)
            self.loops.pop()
        else:
            self.generic_visit(node)

    def _strings(self, node: ast.AST) -> set[str]:
        """The strings `node` can be: its constants, or those its loop variable runs over."""
        found = _names_in(node)
        for name in (n.id for n in ast.walk(node) if isinstance(n, ast.Name)):
            found |= {text for var, texts in self.loops if var == name for text in texts}
        return found

    def visit_FunctionDef(self, node):
        self.stack.append(node.name)
        self.generic_visit(node)
        self.stack.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def _add(self, node: ast.AST, what: str) -> None:
        if not (self.allowed and self.allowed in self.stack):
            self.found.append(Write(self.module, node.lineno, what))

    def _assigned(self, node, targets) -> None:
        for target in (t for group in targets for t in _targets(group)):
            if isinstance(target, ast.Attribute) and target.attr in CONSENT_COLUMNS:
                self._add(node, f"assigns {target.attr}")
        self.generic_visit(node)

    def visit_Assign(self, node):
        self._assigned(node, node.targets)

    def visit_AugAssign(self, node):
        self._assigned(node, [node.target])

    def visit_AnnAssign(self, node):
        self._assigned(node, [node.target])

    def visit_Call(self, node):
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if name == "setattr" and len(node.args) >= 2 and \
                any("_consent" in text for text in self._strings(node.args[1])):
            self._add(node, "setattr of a consent column")
        for keyword in node.keywords:
            if keyword.arg in CONSENT_COLUMNS:
                self._add(node, f"sets {keyword.arg}=")
        if name in _ROW_CALLS:
            for arg in node.args:
                for row in ast.walk(arg):
                    if isinstance(row, ast.Dict):
                        keys = {k.value for k in row.keys if isinstance(k, ast.Constant)}
                        for key in sorted(keys & CONSENT_COLUMNS):
                            self._add(node, f"writes {key} in a statement")
        self.generic_visit(node)


def consent_writes(root: Path, package: str = "app") -> list[Write]:
    """Every place that sets a consent column other than the one writer."""
    found = []
    for module, tree in _files(root, package):
        writer = CONSENT_WRITER[1] if module == f"{package}.{CONSENT_WRITER[0]}" else None
        visitor = _ConsentWrites(module, writer)
        visitor.visit(tree)
        found += visitor.found
    return found


def _source(node: ast.AST) -> str | None:
    """`Customer`, `Customer.__table__` or `models.Customer` → "Customer"."""
    if isinstance(node, ast.Attribute) and node.attr == "__table__":
        node = node.value
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _receivers(node: ast.AST):
    """The names a method call is made on: `Customer.query.filter(...).update` → Customer…"""
    while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
        if isinstance(node, ast.Call):
            for arg in node.args:
                yield _source(arg)
            node = node.func
        else:
            node = node.value
            if isinstance(node, ast.Attribute) and node.attr == "__table__":
                yield _source(node)
    if isinstance(node, ast.Name):
        yield node.id


def search_source_statements(root: Path, package: str = "app") -> list[Write]:
    """Core / bulk statements on the tables a customer's search fields are made of."""
    found = []
    for module, tree in _files(root, package):
        allowed: set[int] = set()
        if module == f"{package}.{SEARCH_WRITER[0]}":
            allowed = {id(n) for f in tree.body if isinstance(f, ast.FunctionDef)
                       and f.name == SEARCH_WRITER[1] for n in ast.walk(f)}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or id(node) in allowed:
                continue
            func = node.func
            name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
            if name not in _STATEMENTS:
                continue
            kind = "insert" if name in _INSERTS else name
            # update(Customer), db.delete(CustomerEmail), pg_insert(...); the method forms
            # Customer.__table__.update() and session.query(Customer)....delete().
            targets = {_source(node.args[0])} if node.args else set()
            if isinstance(func, ast.Attribute):
                targets |= set(_receivers(func.value))
            for target in sorted(t for t in targets if t in SEARCH_SOURCES):
                if kind in SEARCH_SOURCES[target]:
                    found.append(Write(module, node.lineno, f"{kind} on {target}"))
    return found
