"""Memory of `make run`: PSS summed over its whole process tree after a warm-up.

    python -m bench.memory_bench                  # SQLite in a temp instance dir
    python -m bench.memory_bench --db postgresql  # a scratch PostgreSQL database
    python -m bench.memory_bench --root DIR       # measure another checkout the same way

Starts what `make run` starts (`flask db upgrade`, `flask demo seed --if-empty`, then
`flask devserver`: embedded valkey, the mail sink, gunicorn 2 processes × 4 threads, the
worker) in a temp instance dir, on ports of its own and with a gunicorn control socket
of its own. Then, as the demo admin, it loads every main page once and emails one
invoice (PDF attached, as the dialog proposes), waits until the message reached the mail
sink, lets the worker settle, and reads /proc/<pid>/smaps_rollup of every process in the
tree. PSS counts a page shared by n processes as 1/n to each, so the sum is what the tree
holds. Last line: `pss_total_mib=… processes=…`.
"""
from __future__ import annotations

import argparse
import html.parser
import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from contextlib import nullcontext
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
ADMIN = ("admin@example.com", "demo-admin-pass")
RECIPIENT = "memory-bench@example.org"
# Every page of the navigation and what it links to, once each (ids filled in below).
PAGES = ("/", "/customers/", "/customers/new", "/customers/import", "/customers/{customer}",
         "/invoices/", "/invoices/new", "/invoices/{invoice}", "/invoices/{invoice}/email",
         "/reports/", "/reports/accounting", "/reports/accounting/receivables",
         "/reports/accounting/revenue", "/reports/customers", "/reports/activity",
         "/admin/", "/admin/users", "/admin/audit", "/admin/jobs", "/admin/bounces",
         "/admin/mailbox", "/help/statuses", "/account/password")


class _Forms(html.parser.HTMLParser):
    """The fields a browser would submit from each form of a page."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict[str, str]] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({})
        elif not self.forms:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind not in ("checkbox", "radio") or "checked" in a:
                self.forms[-1][a["name"]] = a.get("value") or ("y" if kind == "checkbox" else "")
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and "selected" in a:
            self.forms[-1][self._select] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = a.get("name")
            self.forms[-1][self._textarea] = ""

    def handle_data(self, data):
        if self._textarea:
            self.forms[-1][self._textarea] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def form_fields(page: str, having: str) -> dict[str, str]:
    """The fields of the page's form that has a field named `having`."""
    parser = _Forms()
    parser.feed(page)
    return next(form for form in parser.forms if having in form)


class Browser:
    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=60) as response:
            return response.read().decode()

    def post(self, path: str, fields: dict[str, str]) -> str:
        data = urllib.parse.urlencode(fields).encode()
        with self.opener.open(self.base + path, data=data, timeout=60) as response:
            return response.read().decode()


def warm_up(browser: Browser, sink: Path) -> list[str]:
    """Log in, load every main page, email one invoice; the pages loaded."""
    fields = form_fields(browser.get("/login"), "password")
    fields.update(email=ADMIN[0], password=ADMIN[1])
    if "Log out" not in browser.post("/login", fields):
        raise RuntimeError("could not log in as the demo admin")
    ids = {"customer": re.search(r'href="/customers/(\d+)"', browser.get("/customers/")),
           "invoice": re.search(r'href="/invoices/(\d+)"', browser.get("/invoices/?status=open"))}
    missing = [name for name, found in ids.items() if not found]
    if missing:
        raise RuntimeError(f"the demo data has no {', '.join(missing)} to open")
    loaded = [page.format(**{k: v.group(1) for k, v in ids.items()}) for page in PAGES]
    for path in loaded:
        browser.get(path)
    before = set(sink.glob("*.eml"))
    send = f"/invoices/{ids['invoice'].group(1)}/email"
    fields = form_fields(browser.get(send), "subject")
    fields["extra_to"] = RECIPIENT
    browser.post(send, fields)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for path in set(sink.glob("*.eml")) - before:
            if RECIPIENT in path.read_text(errors="replace"):
                return loaded
        time.sleep(0.2)
    raise RuntimeError("the invoice email never reached the mail sink")


def process_tree(root: int) -> list[int]:
    """`root` and every descendant, parents first."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop(0)
        tree.append(pid)
        todo.extend(sorted(children.get(pid, [])))
    return tree


def memory(pid: int) -> dict[str, float]:
    """Rss, Pss and Uss (private pages) of one process, in MiB."""
    values = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        key, _, rest = line.partition(":")
        values[key] = int(rest.split()[0]) / 1024
    return {"rss": values["Rss"], "pss": values["Pss"],
            "uss": values["Private_Clean"] + values["Private_Dirty"]}


def describe(pid: int, tree: list[int]) -> str:
    args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    args = [a.decode(errors="replace") for a in args if a]
    # valkey-server rewrites its command line; its executable still says what it is.
    text = " ".join([os.path.basename(os.readlink(f"/proc/{pid}/exe")), *args[1:]])
    for short, pattern in (("valkey-server", "valkey-server"), ("gunicorn", "gunicorn"),
                           ("worker", "flask --app wsgi worker"),
                           ("supervisor", "devserver"), ("supervisor", "app.dev.supervisor")):
        if pattern in text:
            name = short
            break
    else:
        name = text[:40]
    parent = int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    if name == "gunicorn" and parent in tree and "gunicorn" in describe(parent, []):
        name = "gunicorn worker"
    elif name == "gunicorn":
        name = "gunicorn arbiter"
    elif name == "worker" and parent in tree and describe(parent, []) == "worker":
        name = "worker's scheduler"
    return name


def _run(args: list[str], root: Path, env: dict) -> None:
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=root,
                   env=env, check=True, stdout=subprocess.DEVNULL)


def measure(root: Path, database_url: str | None, settle: float) -> list[tuple]:
    from app.dev.net import free_port, wait_for_port

    with tempfile.TemporaryDirectory(prefix="clientele-mem-") as tmp:
        instance = Path(tmp) / "instance"
        port, sink_port = free_port(), free_port()
        env = {k: v for k, v in os.environ.items()
               if k not in ("REDIS_URL", "MAIL_SERVER", "MAIL_SINK_DIR", "DATABASE_URL",
                            "SECRET_KEY", "ENCRYPTION_KEYS", "GUNICORN_CMD_ARGS")}
        env.update(CLIENTELE_INSTANCE=str(instance), CLIENTELE_ENV="development",
                   MAIL_SINK_PORT=str(sink_port), PYTHONPATH=str(root),
                   # Two gunicorns of one user share $XDG_RUNTIME_DIR/gunicorn.ctl.
                   GUNICORN_CMD_ARGS=f"--control-socket {tmp}/gunicorn.ctl")
        if database_url:
            env["DATABASE_URL"] = database_url
        _run(["db", "upgrade"], root, env)
        _run(["demo", "seed", "--if-empty"], root, env)
        supervisor = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "devserver", "--port", str(port)],
            cwd=root, env=env, start_new_session=True, stdout=subprocess.DEVNULL,
            stderr=open(Path(tmp) / "devserver.log", "w"))
        try:
            wait_for_port(port, timeout=120)
            started = time.monotonic()
            pages = warm_up(Browser(f"http://127.0.0.1:{port}"), instance / "mailbox")
            print(f"warm-up: {len(pages)} pages and one invoice email in "
                  f"{time.monotonic() - started:.1f} s")
            time.sleep(settle)
            if supervisor.poll() is not None:
                raise RuntimeError("make run's supervisor stopped during the warm-up")
            tree = process_tree(supervisor.pid)
            return [(pid, describe(pid, tree), memory(pid)) for pid in tree]
        except Exception:
            print((Path(tmp) / "devserver.log").read_text()[-3000:], file=sys.stderr)
            raise
        finally:
            supervisor.send_signal(signal.SIGTERM)
            try:
                supervisor.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(supervisor.pid, signal.SIGKILL)
                supervisor.wait()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="sqlite", choices=["sqlite", "postgresql"])
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to run")
    parser.add_argument("--settle", type=float, default=5.0,
                        help="seconds to wait after the email before measuring")
    args = parser.parse_args()
    from bench.common import machine, scratch_database

    print(f"machine: {machine()}")
    with (scratch_database("postgresql") if args.db == "postgresql" else nullcontext()) as url:
        processes = measure(args.root.resolve(), url, args.settle)
    print(f"database: {args.db}; checkout: {args.root.resolve()}")
    print(f"  {'pid':>7}  {'process':20} {'RSS MiB':>8} {'PSS MiB':>8} {'USS MiB':>8}")
    for pid, name, mem in processes:
        print(f"  {pid:>7}  {name:20} {mem['rss']:8.1f} {mem['pss']:8.1f} {mem['uss']:8.1f}")
    total = sum(mem["pss"] for _, _, mem in processes)
    print(f"  {'':7}  {'total':20} {'':8} {total:8.1f}")
    print(f"pss_total_mib={total:.1f} processes={len(processes)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
