"""Fetching SNS signing certificates: cached per app; Amazon's refusal and its silence differ."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from app.dev.net import free_port
from app.events.webhooks import WebhookAuthError
from app.mail import sns

PEM = b"-----BEGIN CERTIFICATE-----\nnot checked here\n-----END CERTIFICATE-----\n"


@pytest.fixture
def cert_host():
    """A certificate host on loopback (Amazon's is outside this machine): it serves
    /cert.pem, answers 404 for anything else, and counts the GETs it answered."""
    gets: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server API)
            gets.append(self.path)
            status, body = (200, PEM) if self.path == "/cert.pem" else (404, b"no")
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", gets
    finally:
        server.shutdown()
        server.server_close()


def test_a_certificate_is_fetched_once_per_app(app, cert_host):
    base, gets = cert_host
    assert sns.fetch_certificate(f"{base}/cert.pem") == PEM
    assert sns.fetch_certificate(f"{base}/cert.pem") == PEM
    assert gets == ["/cert.pem"]


def test_amazon_refusing_is_an_auth_failure_and_silence_is_unreachable(app, cert_host):
    base, _ = cert_host
    with pytest.raises(WebhookAuthError, match=r"certificate could not be fetched \(HTTP 404\)"):
        sns.fetch_certificate(f"{base}/gone.pem")
    with pytest.raises(sns.SnsUnreachable, match="subscription confirmation could not be"):
        sns.confirm_subscription(f"http://127.0.0.1:{free_port()}/confirm")
