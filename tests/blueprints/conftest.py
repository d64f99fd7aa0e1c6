from tests.jobs.conftest import run_worker, smtp  # noqa: F401  (shared fixtures)
