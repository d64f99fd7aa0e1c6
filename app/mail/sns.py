"""Amazon SNS over the network: fetching signing certificates, confirming subscriptions.

`app/events/providers/sns.py` verifies an SNS message and is handed the certificate fetch
as an argument, so it stays pure (no network, nothing from the app); the fetch and its
per-app cache live here, beside what the app does with the provider events it yields.
"""
from __future__ import annotations

import urllib.error
import urllib.request

from flask import current_app

from app.events.webhooks import WebhookAuthError


class SnsUnreachable(Exception):
    """Amazon's host did not answer: the message can't be checked now, SNS should retry."""


def fetch_certificate(url: str) -> bytes:
    """Fetch (and cache, per app) an SNS signing certificate; sns.py has checked the URL."""
    cache = current_app.extensions.setdefault("sns_certs", {})
    if url not in cache:
        cache[url] = _get(url, "the SNS signing certificate")
    return cache[url]


def confirm_subscription(url: str) -> None:
    _get(url, "the SNS subscription confirmation")


def _get(url: str, what: str) -> bytes:
    """GET an SNS URL (already checked: https, an SNS host).

    Amazon answering with an error means the message can't be verified (WebhookAuthError);
    no answer at all is our side's trouble (SnsUnreachable), so nothing is lost.
    """
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - https only
            return response.read(64 * 1024)
    except urllib.error.HTTPError as exc:
        raise WebhookAuthError(f"{what} could not be fetched (HTTP {exc.code})") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise SnsUnreachable(f"{what} could not be fetched: {exc}") from exc
