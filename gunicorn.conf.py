"""Gunicorn settings read from the working directory (`make run` and the Procfile).

Logging and the control socket live here; bind, workers and threads are given on the
command line. The access log goes through the app's scrubber, so tracking tokens in URLs
never reach it.
"""
import os
import tempfile

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


# gunicorn >= 25.1 opens a control socket at $XDG_RUNTIME_DIR/gunicorn.ctl (else
# ~/.gunicorn/gunicorn.ctl): one path for every gunicorn of the user, so a second one (a
# second office on the host, `make run` beside the Procfile, a test) takes the first one's
# over. Each instance gets its own: GUNICORN_CONTROL_SOCKET names it ("off": none), and by
# default it is named after this arbiter's process id. `--control-socket` still wins.
_control = os.environ.get("GUNICORN_CONTROL_SOCKET", "").strip()
if _control.lower() in {"off", "none", "0", "false", "no"}:
    control_socket_disable = True
else:
    control_socket = _control or os.path.join(tempfile.gettempdir(),
                                              f"clientele-gunicorn-{os.getpid()}.ctl")
