"""The schedule is one visible list, and nothing falls off it: every entry names a job
that exists, and every job function in `app/jobs/` is scheduled or enqueued by the code
that owns it (by its dotted path)."""
from __future__ import annotations

import ast
import importlib
from pathlib import Path

from app.jobs.schedule import SCHEDULE, PeriodicJob
from app.queues import QUEUE_NAMES

APP = Path(__file__).resolve().parents[2] / "app"
NOT_JOBS = {"__init__", "runner", "schedule"}  # the machinery, not jobs


def _job_functions(jobs_dir: Path, package: str) -> set[str]:
    """Dotted paths of the public top-level functions of the job modules."""
    found = set()
    for path in sorted(jobs_dir.glob("*.py")):
        if path.stem in NOT_JOBS:
            continue
        for node in ast.parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_"):
                found.add(f"{package}.jobs.{path.stem}.{node.name}")
    return found


def _dotted_strings(app_dir: Path) -> set[str]:
    return {node.value for path in app_dir.rglob("*.py")
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Constant) and isinstance(node.value, str)}


def schedule_problems(schedule, app_dir: Path, package: str = "app") -> list[str]:
    problems = []
    names = [job.name for job in schedule]
    problems += [f"{name}: listed twice" for name in set(names) if names.count(name) > 1]
    for job in schedule:
        module, _, func = job.func.rpartition(".")
        try:
            target = getattr(importlib.import_module(module), func, None)
        except ImportError:
            target = None
        if not callable(target):
            problems.append(f"{job.name}: {job.func} is no job function")
        if job.every_seconds <= 0 or job.queue not in QUEUE_NAMES:
            problems.append(f"{job.name}: every {job.every_seconds}s on {job.queue!r}")
    referenced = {job.func for job in schedule} | _dotted_strings(app_dir)
    problems += [f"{func}: neither scheduled nor enqueued anywhere" for func in
                 sorted(_job_functions(app_dir / "jobs", package) - referenced)]
    return problems


def test_every_entry_resolves_and_every_job_is_reached():
    assert schedule_problems(SCHEDULE, APP) == []


def _plant(tmp_path: Path, source: str) -> Path:
    app_dir = tmp_path / "plantedapp"
    (app_dir / "jobs").mkdir(parents=True)
    (app_dir / "__init__.py").write_text("")
    (app_dir / "jobs" / "__init__.py").write_text("")
    (app_dir / "jobs" / "tidy.py").write_text(source)
    return app_dir


def test_the_guard_fails_on_a_job_nobody_schedules(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    app_dir = _plant(tmp_path, "def tidy_up():\n    return 0\n")
    listed = (PeriodicJob("tidy", 60, "plantedapp.jobs.tidy.tidy_up"),)
    assert schedule_problems(listed, app_dir, "plantedapp") == []
    assert schedule_problems((), app_dir, "plantedapp") == [
        "plantedapp.jobs.tidy.tidy_up: neither scheduled nor enqueued anywhere"]


def test_the_guard_fails_on_an_entry_that_resolves_to_nothing(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    app_dir = _plant(tmp_path, "def tidy_up():\n    return 0\n")
    listed = (PeriodicJob("tidy", 60, "plantedapp.jobs.tidy.tidy_up"),
              PeriodicJob("typo", 60, "plantedapp.jobs.tidy.tidy_upp"),
              PeriodicJob("tidy", 60, "plantedapp.jobs.tidy.tidy_up"))
    problems = schedule_problems(listed, app_dir, "plantedapp")
    assert "typo: plantedapp.jobs.tidy.tidy_upp is no job function" in problems
    assert "tidy: listed twice" in problems
