"""Who may see a customer is decided in one module, `app/customers/access.py`.

Read from the source: outside that module (and the role table, `app/permissions.py`)
nothing names the "see every customer" permission, in Python or in a template, and
nothing re-exports the rule under a second name (an alias, or a function whose whole
body returns one of the rule's functions: the thin wrappers this rule removed).
"""
from __future__ import annotations

import ast
from pathlib import Path

HOME = "customers/access.py"
ALLOWED = {HOME, "permissions.py"}
PERMISSION = "customers.view_all"


def _access_names(tree: ast.Module) -> tuple[set[str], set[str]]:
    """Names bound to the rule's functions, and names bound to the access module itself."""
    functions, modules = set(), set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or not node.module:
            continue
        for alias in node.names:
            if node.module.endswith("customers.access"):
                functions.add(alias.asname or alias.name)
            elif node.module.endswith("customers") and alias.name == "access":
                modules.add(alias.asname or alias.name)
    return functions, modules


def _is_access(node: ast.AST, functions: set[str], modules: set[str]) -> bool:
    if isinstance(node, ast.Name):
        return node.id in functions
    return (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
            and node.value.id in modules)


def _second_names(tree: ast.Module) -> list[str]:
    functions, modules = _access_names(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and _is_access(node.value, functions, modules):
            found.append(f"line {node.lineno}: an alias of the access rule")
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body[1:] if ast.get_docstring(node) is not None else node.body
            if (len(body) == 1 and isinstance(body[0], ast.Return)
                    and isinstance(body[0].value, ast.Call)
                    and _is_access(body[0].value.func, functions, modules)):
                found.append(f"line {node.lineno}: {node.name}() only wraps the access rule")
    return found


def strays(app_root: Path) -> list[str]:
    """Every place outside the one home that restates or renames the access rule."""
    found = []
    for path in sorted(app_root.rglob("*")):
        if path.suffix not in (".py", ".html") or "__pycache__" in path.parts:
            continue
        name = path.relative_to(app_root).as_posix()
        if name in ALLOWED:
            continue
        text = path.read_text(encoding="utf-8")
        if PERMISSION in text:
            found.append(f"{name}: names {PERMISSION!r} (ask app.customers.access)")
        if path.suffix == ".py":
            found += [f"{name}: {problem}" for problem in _second_names(ast.parse(text))]
    return found
