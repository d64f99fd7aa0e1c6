"""Import every module that defines jobs, so periodic ones register themselves."""
import app.jobs.backups  # noqa: F401
import app.jobs.customers  # noqa: F401
import app.jobs.events  # noqa: F401
import app.jobs.mail  # noqa: F401
