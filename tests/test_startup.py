"""Starting does no work and touches nothing: importing `app` and building it (what every
CLI call, worker, test and gunicorn process does) hashes no password and opens no
connection, and registrations on the extensions happen in `create_app`, not when a module
is imported."""
from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app"
EXTENSIONS = {"db", "migrate", "login_manager", "mail", "htmx", "csrf", "limiter"}


def _run(tmp_path: Path, script: str, **env: str) -> str:
    """Run `script` in a fresh interpreter, as a process started from the project is."""
    environ = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    environ.update({"PYTHONPATH": str(ROOT), "CLIENTELE_INSTANCE": str(tmp_path / "instance"),
                    "DATABASE_URL": f"sqlite:///{tmp_path / 'start.db'}", **env})
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(script)], cwd=ROOT,
                          env=environ, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_importing_and_building_the_app_hashes_no_password(tmp_path):
    # argon2 is a C call; a profile hook sees every call of it without patching anything.
    out = _run(tmp_path, """
        import sys
        hashes = []
        def count(frame, event, arg):
            if event == "c_call" and getattr(arg, "__name__", "") == "argon2_hash":
                hashes.append(arg)
        sys.setprofile(count)
        import wsgi  # the models, the blueprints, create_app()
        at_start = len(hashes)
        from app.models.users import check_dummy_password
        check_dummy_password("a guess")
        check_dummy_password("another guess")
        sys.setprofile(None)
        print(at_start, len(hashes))
    """)
    # None at start; the dummy hash for unknown emails is made once, when first needed.
    assert out == "0 1"


def test_building_the_app_opens_no_connection(tmp_path, database_url, redis_url):
    # `make run` preloads the app in gunicorn's arbiter and forks the web workers from
    # it: a connection opened while building would be shared by every worker.
    out = _run(tmp_path, """
        import os
        import wsgi
        open_fds = []
        for fd in os.listdir("/proc/self/fd"):
            try:
                open_fds.append(os.readlink(f"/proc/self/fd/{fd}"))
            except FileNotFoundError:  # the listing's own descriptor, closed by now
                pass
        print([fd for fd in open_fds if fd.startswith("socket:") or fd.endswith(".db")])
    """, DATABASE_URL=database_url, REDIS_URL=redis_url)
    assert out == "[]"


def import_time_registrations(root: Path) -> list[str]:
    """Module-level statements that call a method of an extension from app.extensions."""
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {alias.asname or alias.name for node in tree.body
                 if isinstance(node, ast.ImportFrom) and (node.module or "").endswith("extensions")
                 for alias in node.names if alias.name in EXTENSIONS}
        for node in tree.body:
            if not isinstance(node, (ast.Expr, ast.Assign, ast.AnnAssign)) or node.value is None:
                continue
            for call in ast.walk(node.value):
                if isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute) \
                        and isinstance(call.func.value, ast.Name) and call.func.value.id in names:
                    found.append(f"{path.relative_to(root)}:{node.lineno} {ast.unparse(call.func)}")
    return found


def test_no_module_registers_on_an_extension_when_imported():
    assert import_time_registrations(APP) == []


@pytest.mark.parametrize("source", [
    "from app.extensions import csrf\nfrom x import bp\ncsrf.exempt(bp)\n",
    "from app.extensions import limiter as lim\nEXEMPT = lim.exempt(bp)\n",
])
def test_the_registration_guard_fails_on_a_planted_one(tmp_path, source):
    (tmp_path / "routes.py").write_text(source)
    assert len(import_time_registrations(tmp_path)) == 1
