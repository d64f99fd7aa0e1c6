"""Benchmarks. `make bench` (python -m bench.run_all) runs every `bench/*_bench.py`.

The contract for a benchmark script:

* it runs as `python bench/<name>_bench.py --db sqlite|postgresql` from the project root
  (the root is on PYTHONPATH, so `import app` and `import bench.common` work); `BENCH_DB`
  carries the same choice;
* for PostgreSQL, `BENCH_DATABASE_URL` names the server; `bench.common.scratch_database`
  gives the script a fresh database (and a fresh SQLite file for `--db sqlite`);
* its LAST line of output is its figures: `name key=value key=value ...`;
* it exits 0 when it worked.
"""
