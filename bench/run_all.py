"""Run every bench/*_bench.py on SQLite (and PostgreSQL when BENCH_DATABASE_URL is set).

Prints one table and writes it, with the machine it ran on, to bench/RESULTS.md. A
script that fails or prints no figures shows as failed; the others still run.
"""
from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent


@dataclass
class Result:
    script: str
    database: str
    ok: bool
    seconds: float
    name: str = ""
    figures: dict[str, str] = field(default_factory=dict)
    error: str = ""


def discover(directory: Path) -> list[Path]:
    return sorted(directory.glob("*_bench.py"))


def parse_figures(line: str, default_name: str = "") -> tuple[str, dict[str, str]] | None:
    """`[name] key=value key=value` → (name, {key: value}); None if it isn't that shape.

    Without a leading name (an issue may fix the exact line), the script's name is used.
    """
    parts = line.split()
    if parts and "=" in parts[0] and default_name:
        parts = [default_name, *parts]
    if len(parts) < 2 or "=" in parts[0]:
        return None
    figures = {}
    for part in parts[1:]:
        key, sep, value = part.partition("=")
        if not sep or not key:
            return None
        figures[key] = value
    return parts[0], figures


def _last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def run_script(script: Path, database: str, timeout: float) -> Result:
    env = {**os.environ, "BENCH_DB": database,
           "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT),
                                                     os.environ.get("PYTHONPATH")) if p)}
    started = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, str(script), "--db", database], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return Result(script.stem, database, False, time.perf_counter() - started,
                      error=f"timed out after {timeout:.0f} s")
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        reason = _last_line(proc.stderr) or _last_line(proc.stdout) or "no output"
        return Result(script.stem, database, False, seconds,
                      error=f"exit {proc.returncode}: {reason[:200]}")
    parsed = parse_figures(_last_line(proc.stdout), script.stem.removesuffix("_bench"))
    if parsed is None:
        return Result(script.stem, database, False, seconds,
                      error="last line is not `name key=value ...`")
    return Result(script.stem, database, True, seconds, name=parsed[0], figures=parsed[1])


def _postgres_server() -> str | None:
    url = os.environ.get("BENCH_DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql")) else None


def machine() -> dict[str, str]:
    cpu = platform.processor() or platform.machine()
    ram = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu,
        "cores": str(os.cpu_count() or "?"),
        "ram": ram or "?",
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }


def _rows(results: list[Result]) -> list[list[str]]:
    rows = []
    for r in results:
        figures = " ".join(f"{k}={v}" for k, v in r.figures.items()) if r.ok else r.error
        rows.append([r.name or r.script, r.database, "ok" if r.ok else "FAILED",
                     f"{r.seconds:.1f}", figures])
    return rows


HEADER = ["benchmark", "database", "status", "wall s", "figures"]


def text_table(results: list[Result]) -> str:
    rows = [HEADER] + _rows(results)
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER) - 1)]
    lines = []
    for n, row in enumerate(rows):
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row[:-1])] + [row[-1]]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths) + "  " + "-" * 7)
    return "\n".join(lines)


def markdown(results: list[Result], info: dict[str, str]) -> str:
    def cell(text: str) -> str:
        return text.replace("|", "\\|")

    lines = ["# Benchmark results", "",
             "Written by `make bench` (`python -m bench.run_all`); each row is the last line "
             "a `bench/*_bench.py` script printed.", "",
             f"* **Date:** {info['date']}",
             f"* **CPU:** {info['cpu']} ({info['cores']} cores)",
             f"* **RAM:** {info['ram']}",
             f"* **OS:** {info['os']}",
             f"* **Python:** {info['python']}, SQLite {info['sqlite']}"]
    if info.get("postgresql"):
        lines.append(f"* **PostgreSQL:** {info['postgresql']}")
    lines += ["", "| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for row in _rows(results):
        row[-1] = f"`{row[-1]}`" if row[-1] else ""
        lines.append("| " + " | ".join(cell(c) for c in row) + " |")
    if not results:
        lines.append("| (no `bench/*_bench.py` scripts found) | | | | |")
    return "\n".join(lines) + "\n"


def _postgres_version(url: str) -> str:
    try:
        import sqlalchemy as sa

        from app.config import _database_url

        engine = sa.create_engine(_database_url(url))
        try:
            with engine.connect() as conn:
                return conn.execute(sa.text("SHOW server_version")).scalar_one()
        finally:
            engine.dispose()
    except Exception:  # noqa: BLE001 - the version is a nicety
        return "unknown version"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dir", type=Path, default=BENCH_DIR, help="where *_bench.py are")
    parser.add_argument("--results", type=Path, default=BENCH_DIR / "RESULTS.md")
    parser.add_argument("--only", default="", help="run only scripts whose name contains this")
    parser.add_argument("--timeout", type=float,
                        default=float(os.environ.get("BENCH_TIMEOUT", 1800)))
    args = parser.parse_args(argv)

    scripts = [s for s in discover(args.dir) if args.only in s.stem]
    results: list[Result] = []
    for script in scripts:
        for database in ["sqlite"] + (["postgresql"] if _postgres_server() else []):
            print(f"running {script.name} --db {database} ...", file=sys.stderr, flush=True)
            results.append(run_script(script, database, args.timeout))
    info = machine()
    if _postgres_server():
        info["postgresql"] = _postgres_version(_postgres_server())
    print(text_table(results))
    args.results.write_text(markdown(results, info))
    print(f"\nwritten to {args.results}", file=sys.stderr)
    return 1 if any(not r.ok for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
