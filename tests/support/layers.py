"""The layers of `app/`, read from the source: who imports whom, and who reads the request.

The direction is blueprints → web → domains → models / events. Entry points (the factory,
the CLI, the jobs, the dev tools) sit beside the blueprints. `app/events/` is pure: it
imports nothing from the app. Only `app/web/` and `app/blueprints/` may touch Flask's
request globals; everything else is handed the user and the arguments.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

REQUEST_GLOBALS = {"flask": {"request", "g", "session", "abort"},
                   "flask_login": {"current_user"}}

ENTRY, BLUEPRINTS, WEB, DOMAIN, MODELS, EVENTS = (
    "entry", "blueprints", "web", "domain", "models", "events")
# What each layer must never import.
FORBIDDEN = {
    WEB: {BLUEPRINTS, ENTRY},
    DOMAIN: {BLUEPRINTS, WEB, ENTRY},
    MODELS: {BLUEPRINTS, WEB, ENTRY, DOMAIN},
    EVENTS: {BLUEPRINTS, WEB, ENTRY, DOMAIN, MODELS},
}
# Low-level modules the models may use (engine, column encryption), as they use SQLAlchemy.
MODEL_HELPERS = {"extensions", "crypto"}


@dataclass(frozen=True)
class Violation:
    module: str
    problem: str

    def __str__(self) -> str:
        return f"{self.module}: {self.problem}"


def modules(root: Path, package: str) -> dict[str, Path]:
    """Dotted name → file for every module under `root` (the package's folder)."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = (package, *path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def plant(root: Path, files: dict[str, str], package: str = "fake") -> Path:
    """A throwaway package under `root` holding `files` (path → source), every folder a
    package: what the guards' meta-tests plant a violation in."""
    for name, source in {"__init__.py": "", **files}.items():
        path = root / package / name
        path.parent.mkdir(parents=True, exist_ok=True)
        for parent in path.relative_to(root / package).parents:
            (root / package / parent / "__init__.py").touch()
        path.write_text(source)
    return root / package


def layer(name: str, package: str) -> str:
    parts = name.split(".")
    top = parts[1] if len(parts) > 1 else ""
    if name == package or top in ("cli", "jobs", "dev"):
        return ENTRY
    return {"blueprints": BLUEPRINTS, "web": WEB, "events": EVENTS,
            "models": MODELS}.get(top, DOMAIN)


def _imports(name: str, path: Path, known: dict[str, Path]) -> tuple[set[str], set[str]]:
    """(modules of the app imported anywhere in the file, request globals imported)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found, globals_ = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                full = f"{base}.{alias.name}"
                found.add(full if full in known else base)
            globals_.update(REQUEST_GLOBALS.get(node.module or "", set())
                            & {alias.name for alias in node.names})
    return {m for m in found if m in known and m != name}, globals_


def import_graph(root: Path, package: str) -> dict[str, set[str]]:
    known = modules(root, package)
    return {name: _imports(name, path, known)[0] for name, path in known.items()}


def violations(root: Path, package: str = "app") -> list[Violation]:
    """Every broken rule of the layers, the request globals and the import cycles."""
    known = modules(root, package)
    found = []
    for name, path in known.items():
        imported, globals_ = _imports(name, path, known)
        own = layer(name, package)
        if globals_ and own not in (WEB, BLUEPRINTS):
            found.append(Violation(name, f"reads request globals {sorted(globals_)}; "
                                         "pass the user and arguments in"))
        for other in sorted(imported):
            theirs = layer(other, package)
            if own == MODELS and other.split(".")[1:2] and \
                    other.split(".")[1] in MODEL_HELPERS:
                continue
            if theirs in FORBIDDEN.get(own, ()):
                found.append(Violation(name, f"{own} imports {theirs} ({other})"))
    found += [Violation(" ↔ ".join(cycle), "import cycle")
              for cycle in cycles(import_graph(root, package))
              if not _blueprint_and_its_routes(cycle, package)]
    return found


def _blueprint_and_its_routes(cycle: list[str], package: str) -> bool:
    """A blueprint package imports its route modules, which import the blueprint."""
    heads = {".".join(m.split(".")[:3]) for m in cycle}
    return len(heads) == 1 and heads.pop() in cycle and \
        all(m.startswith(f"{package}.blueprints.") for m in cycle)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(groups)
