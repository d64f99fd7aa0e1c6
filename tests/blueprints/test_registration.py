"""Every module that declares routes is registered: a route module left out of its
blueprint's import list would serve nothing, silently."""
from __future__ import annotations

import ast
from pathlib import Path

BLUEPRINTS = Path(__file__).resolve().parents[2] / "app" / "blueprints"
ROUTE_DECORATORS = {"route", "get", "post", "put", "patch", "delete"}


def _declares_routes(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for decorator in node.decorator_list:
                call = decorator.func if isinstance(decorator, ast.Call) else decorator
                if isinstance(call, ast.Attribute) and call.attr in ROUTE_DECORATORS:
                    return True
    return False


def route_modules(root: Path = BLUEPRINTS) -> list[str]:
    return sorted(".".join(("app", "blueprints", *p.relative_to(root).with_suffix("").parts))
                  for p in root.rglob("*.py") if _declares_routes(p))


def test_every_route_module_serves_its_views(app):
    found = route_modules()
    assert len(found) >= 10  # the walk itself works
    serving = {view.__module__ for view in app.view_functions.values()}
    assert [m for m in found if m not in serving] == []


def test_a_route_module_is_recognised_by_its_decorators(tmp_path):
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "routes.py").write_text(
        "@bp.post('/notes')\ndef create():\n    pass\n")
    (tmp_path / "notes" / "forms.py").write_text("class NoteForm:\n    pass\n")
    assert route_modules(tmp_path) == ["app.blueprints.notes.routes"]


# Endpoint names: one word for a page or an action on the blueprint's own record (index,
# show, new, edit, finalize…), else `<thing>_<action>` (note_add, contact_verify,
# csv_export). A name that starts with the action is the old, mixed convention.
ACTIONS_FIRST = {"add", "create", "delete", "edit", "export", "new", "remove", "resolve",
                 "retry", "save", "send", "update", "verify", "view", "withdraw"}


def test_endpoint_names_follow_one_convention(app):
    mixed = sorted(rule.endpoint for rule in app.url_map.iter_rules()
                   if "_" in rule.endpoint.rpartition(".")[2]
                   and rule.endpoint.rpartition(".")[2].split("_")[0] in ACTIONS_FIRST)
    assert mixed == []
    assert not any(rule.endpoint.endswith((".view", ".create"))
                   for rule in app.url_map.iter_rules())  # show / new, as everywhere
