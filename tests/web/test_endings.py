"""Route endings are said once, in app/web/endings.py: the audit entry of the request,
a form's error status, the 303 after a change. A view that retypes one fails here."""
from __future__ import annotations

import re
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
RETYPED = {
    "audit entry by hand (use audit_request)": re.compile(r"\baudit\.record\("),
    "form status by hand (use form_status)": re.compile(r"422 if (not )?form\.errors"),
    "303 by hand (use see_other or go_to)": re.compile(r"code=303"),
}


def retyped_endings(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        if path.name == "endings.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            found += [f"{path.relative_to(root)}:{number}: {what}"
                      for what, pattern in RETYPED.items() if pattern.search(line)]
    return found


def test_views_end_through_the_helpers():
    assert retyped_endings(APP / "blueprints") == []


def test_the_endings_guard_finds_a_retyped_ending(tmp_path):
    (tmp_path / "routes.py").write_text(
        'audit.record("x", user=current_user, ip=request.remote_addr)\n'
        "return render(page, status=422 if form.errors else 200)\n"
        'return redirect(url_for("customers.index"), code=303)\n')
    assert [line.split(": ", 1)[1] for line in retyped_endings(tmp_path)] == list(RETYPED)
