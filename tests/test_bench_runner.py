"""bench/run_all.py with fake benchmark scripts: figures collected, failures shown."""
from __future__ import annotations

import os
import textwrap

import pytest

from bench import run_all

GOOD = """
    import os
    import sys
    print("warming up")
    print("some progress 50%")
    kind = os.environ["BENCH_DB"]
    assert sys.argv[1:] == ["--db", kind]
    if kind == "postgresql":
        assert os.environ["BENCH_DATABASE_URL"].startswith("postgres")
    from bench.common import scratch_database  # the project root is importable
    print(f"fake_inserts rows=1000 per_s=1234.5 db={kind}")
"""
CRASH = """
    print("about to fail")
    raise SystemExit("database exploded")
"""
NO_FIGURES = """
    print("all done, no figures here")
    print("")
"""


@pytest.fixture
def bench_dir(tmp_path):
    directory = tmp_path / "bench"
    directory.mkdir()
    for name, body in (("good_bench.py", GOOD), ("crash_bench.py", CRASH),
                       ("quiet_bench.py", NO_FIGURES), ("helper.py", "raise SystemExit(1)")):
        (directory / name).write_text(textwrap.dedent(body))
    return directory


def test_runner_collects_last_lines_and_marks_failures(bench_dir, tmp_path, monkeypatch,
                                                       capsys):
    server = os.environ.get("TEST_DATABASE_URL", "")
    if server.startswith("postgres"):
        monkeypatch.setenv("BENCH_DATABASE_URL", server)
    else:
        monkeypatch.delenv("BENCH_DATABASE_URL", raising=False)
    results_md = tmp_path / "RESULTS.md"
    code = run_all.main(["--dir", str(bench_dir), "--results", str(results_md)])
    assert code == 1  # a failed benchmark makes `make bench` fail, after the others ran

    table = capsys.readouterr().out
    databases = ["sqlite"] + (["postgresql"] if server.startswith("postgres") else [])
    for db in databases:
        assert f"rows=1000 per_s=1234.5 db={db}" in table
    assert "helper" not in table  # only *_bench.py scripts are run
    lines = table.splitlines()
    assert lines[0].split() == ["benchmark", "database", "status", "wall", "s", "figures"]
    assert len(lines) == 2 + 3 * len(databases)
    crash = [line for line in lines if line.startswith("crash_bench")]
    assert crash and all("FAILED" in line and "database exploded" in line for line in crash)
    quiet = [line for line in lines if line.startswith("quiet_bench")]
    assert quiet and all("FAILED" in line and "not `name key=value" in line for line in quiet)

    md = results_md.read_text()
    assert "* **CPU:**" in md and "cores)" in md and "* **RAM:**" in md
    assert "* **Python:**" in md and "* **Date:**" in md
    assert "| fake_inserts | sqlite | ok |" in md
    assert "`rows=1000 per_s=1234.5 db=sqlite`" in md
    assert md.count("| FAILED |") == 2 * len(databases)
    if server.startswith("postgres"):
        assert "* **PostgreSQL:** 1" in md


def test_parse_figures_accepts_only_name_and_pairs():
    assert run_all.parse_figures("x a=1 b=2.5") == ("x", {"a": "1", "b": "2.5"})
    assert run_all.parse_figures("a=1 b=2") is None
    assert run_all.parse_figures("x a=1 loose") is None
    assert run_all.parse_figures("just words") is None


def test_a_script_that_hangs_is_stopped(tmp_path, monkeypatch):
    monkeypatch.delenv("BENCH_DATABASE_URL", raising=False)
    directory = tmp_path / "bench"
    directory.mkdir()
    (directory / "slow_bench.py").write_text("import time\ntime.sleep(30)\n")
    code = run_all.main(["--dir", str(directory), "--results", str(tmp_path / "R.md"),
                         "--timeout", "1"])
    assert code == 1 and "timed out after 1 s" in (tmp_path / "R.md").read_text()
