"""Benchmarks. `make bench` (python -m bench.run_all) runs every `bench/*_bench.py`.

The contract for a benchmark script:

* it runs as `python bench/<name>_bench.py` from the project root (the root is on
  PYTHONPATH, so `import app` works);
* it reads its database from `BENCH_DATABASE_URL`: the runner passes a new, empty
  database each run (a SQLite file; and, when `BENCH_DATABASE_URL` names a PostgreSQL
  server, a scratch database created on it and dropped afterwards), plus `BENCH_DB`
  (`sqlite` or `postgresql`). The script builds its schema (e.g. `flask_migrate.upgrade()`
  or `db.create_all()`);
* its LAST line of output is its figures: `name key=value key=value ...`;
* it exits 0 when it worked.
"""
