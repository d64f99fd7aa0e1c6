"""Gunicorn settings read from the working directory (`make run` and the Procfile).

Only logging lives here; bind, workers and threads are given on the command line. The
access log goes through the app's scrubber, so tracking tokens in URLs never reach it.
"""
from gunicorn.glogging import Logger

from app.logs import scrub


class ScrubbingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "q", "f"):  # request line, path, query, referer
            if key in atoms:
                atoms[key] = scrub(str(atoms[key]))
        return atoms


logger_class = ScrubbingLogger
