"""`make screenshots`: the pages in SHOTS, at a laptop's and a phone's size, into
docs/screenshots/ as small PNGs.

A fresh demo database (`flask demo seed`) and its own Redis, the werkzeug server on a free
port, Debian's Chromium driven by Playwright (a dev dependency). Later issues add pages to
SHOTS; nothing else needs to change.
"""
from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "docs" / "screenshots"
VIEWPORTS = {"laptop": (1366, 768), "phone": (390, 844)}
LOGIN = ("admin@example.com", "demo-admin-pass")  # app.cli.demo.DEMO_USERS
COLOURS = 128  # a palette this size keeps text crisp and a shot under ~100 KB
# The PDF a customer receives: the first issued invoice on the list, its first page.
PDF_SHOT = "invoice-pdf.png"
PDF_WIDTH = 1000  # pixels across an A4 page


@dataclass(frozen=True)
class Shot:
    name: str  # the file: docs/screenshots/<name>-<viewport>.png
    path: str
    follow: str | None = None  # then click the first link matching this selector
    caption: str = ""


SHOTS: tuple[Shot, ...] = (
    Shot("home", "/", caption="Home"),
    Shot("customers", "/customers/", caption="Customers"),
    Shot("customer", "/customers/", "tbody a[href^='/customers/']", caption="A customer's file"),
    Shot("followups", "/followups/", caption="My follow-ups"),
    Shot("invoices", "/invoices/", caption="Invoices list"),
    Shot("invoice", "/invoices/", "tbody a[href^='/invoices/']", caption="An invoice"),
    Shot("invoice-emails-report", "/reports/accounting", caption="Invoice Email report"),
    Shot("jobs", "/admin/jobs", caption="Admin → Jobs"),
    Shot("invite", "/admin/users/new", caption="Admin → Invite a colleague"),
    Shot("reminders", "/reminders", caption="Reminders due"),
    Shot("reminder-stage", "/admin/settings/reminders", "tbody a[href^='/admin/settings/reminders/']",
         caption="Settings → a reminder stage, with its live preview"),
    Shot("settings", "/admin/settings/", caption="Admin → Settings"),
    Shot("fields", "/admin/fields/", caption="Admin → Customer fields"),
    Shot("statuses", "/help/statuses", caption="How the Sent Status is decided"),
    Shot("duplicates", "/customers/duplicates", caption="Customers → Duplicates"),
    Shot("merge", "/customers/duplicates", "a[href*='/merge/']",
         caption="Merging two customer files"),
    Shot("filed-email", "/capture/?show=filed", caption="Filed email and one's drop-box address"),
    Shot("filed-email-message", "/capture/?show=filed", "tbody a[href^='/capture/']",
         caption="An email filed on a customer"),
)


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        raise SystemExit("Debian's chromium is needed: apt-get install chromium")
    return path


def _compress(path: Path) -> None:
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=COLOURS, method=Image.Quantize.MEDIANCUT,
                                              dither=Image.Dither.NONE)
    small.save(path, optimize=True)


def _serve(workdir: Path) -> tuple[list[subprocess.Popen], str, object]:
    from cryptography.fernet import Fernet

    from app.dev.embedded_redis import EmbeddedRedis
    from app.dev.net import free_port, wait_for_port

    redis_server = EmbeddedRedis(unix_socket=str(workdir / "valkey.sock")).start()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("MAIL_", "DATABASE", "REDIS", "CLIENTELE_"))}
    env.update(DATABASE_URL=f"sqlite:///{workdir / 'demo.sqlite'}", REDIS_URL=redis_server.url,
               SECRET_KEY="screenshots", ENCRYPTION_KEYS=Fernet.generate_key().decode(),
               CLIENTELE_INSTANCE=str(workdir), PYTHONPATH=str(ROOT))
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    for step in (["db", "upgrade"], ["demo", "seed"]):
        subprocess.run(flask + step, cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL)
    port = free_port()
    server = subprocess.Popen(flask + ["run", "--port", str(port), "--no-reload"], cwd=ROOT,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port)
    return [server], f"http://127.0.0.1:{port}", redis_server


def take(shots: tuple[Shot, ...] = SHOTS, out: Path = OUT) -> list[Path]:
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory(prefix="clientele-shots-") as tmp:
        processes, base, redis_server = _serve(Path(tmp))
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=_chromium(),
                                             args=["--headless=new", "--no-sandbox"])
                for label, (width, height) in VIEWPORTS.items():
                    context = browser.new_context(base_url=base,
                                                  viewport={"width": width, "height": height})
                    page = context.new_page()
                    page.goto("/login")
                    page.fill("input[name=email]", LOGIN[0])
                    page.fill("input[name=password]", LOGIN[1])
                    page.click("button[type=submit]")
                    page.wait_for_url(lambda url: "/login" not in url)
                    for shot in shots:
                        page.goto(shot.path)
                        if shot.follow:
                            page.locator(shot.follow).first.click()
                            page.wait_for_load_state()
                        time.sleep(0.3)  # htmx's first swaps
                        path = out / f"{shot.name}-{label}.png"
                        page.screenshot(path=str(path), caret="initial")
                        _compress(path)
                        written.append(path)
                    if label == "laptop":
                        written.append(_pdf_shot(page, out / PDF_SHOT))
                    context.close()
                browser.close()
        finally:
            for process in processes:
                process.terminate()
                process.wait(15)
            redis_server.stop()
    return written


def _pdf_shot(page, path: Path) -> Path:
    """The first page of the PDF of the first issued invoice on the invoices list, drawn by
    pdfium."""
    import pypdfium2

    page.goto("/invoices/")
    issued = page.locator("tbody a[href^='/invoices/']").filter(has_not_text="Draft")
    href = issued.first.get_attribute("href")
    answer = page.request.get(f"{href.rstrip('/')}/pdf")
    if not answer.ok:
        raise SystemExit(f"the invoice PDF answered {answer.status}")
    document = pypdfium2.PdfDocument(answer.body())
    first = document[0]
    first.render(scale=PDF_WIDTH / first.get_width()).to_pil().save(path)
    document.close()
    _compress(path)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    for path in take(out=args.out):
        print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path} "
              f"{path.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
