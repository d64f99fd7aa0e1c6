"""Starting does no work: importing `app` and building it (what every CLI call, worker,
test and gunicorn process does) hashes no password."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _run(tmp_path: Path, script: str, **env: str) -> str:
    """Run `script` in a fresh interpreter, as a process started from the project is."""
    environ = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "DATABASE_URL")}
    environ.update(PYTHONPATH=str(ROOT), CLIENTELE_INSTANCE=str(tmp_path / "instance"),
                   DATABASE_URL=f"sqlite:///{tmp_path / 'start.db'}", **env)
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
