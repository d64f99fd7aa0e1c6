"""Import every module that defines jobs, so periodic ones register themselves."""
import app.jobs.mail  # noqa: F401
