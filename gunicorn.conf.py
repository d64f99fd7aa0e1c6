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


def when_ready(server):
    """With PROXY_COUNT set, gunicorn must be reachable through the proxies only: listening
    beyond loopback lets a client forge X-Forwarded-For (and dodge the per-address login
    limit). Said once, at start-up."""
    try:
        proxies = int(os.environ.get("PROXY_COUNT") or 0)
    except ValueError:
        proxies = 0
    open_to_all = [b for b in server.cfg.bind
                   if not b.startswith(("127.", "localhost", "[::1]", "unix:", "fd://"))]
    if proxies > 0 and open_to_all:
        server.log.warning(
            "PROXY_COUNT=%d but gunicorn listens on %s: requests that reach it without the "
            "proxy can forge X-Forwarded-For. Bind to 127.0.0.1 (or a socket only the proxy "
            "can reach), or set PROXY_COUNT=0.", proxies, ", ".join(open_to_all))
