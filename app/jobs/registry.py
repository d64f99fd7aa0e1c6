"""Import every module that defines jobs, so periodic ones register themselves."""
import app.jobs.backups  # noqa: E402,F401
