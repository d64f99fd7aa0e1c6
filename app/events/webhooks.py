"""What every provider webhook turns into, and the helpers the provider modules share.

Each provider module in ``app.events.providers`` authenticates one webhook
request and maps it to ``ProviderEvent``s. The contract for callers (the
webhook route, tests): for any request body a parser returns events or raises
``WebhookAuthError`` (answer 401/403) or ``WebhookPayloadError`` (answer 400,
the message is safe to show). Configuration mistakes (an unreadable public
key) raise ``ValueError`` so they surface as a server error and the provider
retries once the setting is fixed.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

from app.events.reasons import as_temporary, canonical, reason_for

EventType = Literal["sent", "delayed", "rejected", "spam", "opened", "clicked"]

DEFAULT_TOLERANCE = timedelta(minutes=10)

# The custom argument / metadata / user-variable name under which our mail
# builder should put our Message-ID (without <>), so that every provider event,
# opens and clicks included, can be matched to the message we sent.
MESSAGE_ID_KEY = "clientele_message_id"


@dataclass(frozen=True)
class ProviderEvent:
    provider: str  # "sendgrid" | "mailgun" | "postmark" | "ses"
    provider_event_id: str  # dedupe key: the provider's own id, else a sha256 of the event
    type: EventType
    delivered: bool
    recipient: str | None
    message_id: str | None  # our Message-ID without <>, when the provider echoes it
    occurred_at: datetime  # UTC, aware
    code: str | None = None  # SMTP (enhanced) status code, when given
    diagnostic: str | None = None  # the remote server's or provider's explanation
    # Why it failed (app.events.reasons) for "rejected" and "delayed", from the provider's
    # own category first (app.events.provider_reasons), else from the code and diagnostic.
    reason: str = ""
    user_agent: str | None = None
    ip: str | None = None
    url: str | None = None
    # An open or click the provider itself says a machine made: the rule's name
    # (app.events.automation) and the provider's words for it, shown under Details.
    machine: str = ""
    machine_flag: str = ""
    raw: dict[str, Any] = field(default_factory=dict, hash=False, repr=False)

    def __post_init__(self) -> None:
        if self.type not in ("rejected", "delayed"):
            reason = ""
        elif self.reason:
            reason = canonical(self.reason)
        else:  # e.g. an event held for review before reasons existed
            reason = reason_for(self.code, self.diagnostic)
        if self.type == "delayed":
            reason = as_temporary(reason)
        object.__setattr__(self, "reason", reason)


class WebhookError(Exception):
    """Base for the two errors a webhook parser may raise."""


class WebhookAuthError(WebhookError):
    """The request is not provably from the provider: answer 401/403."""


class WebhookPayloadError(WebhookError):
    """The request is authentic but its body is malformed: answer 400."""


# -- reading bodies -------------------------------------------------------------


def load_json(body: bytes, what: str) -> Any:
    """Parse a JSON body strictly (no NaN/Infinity), with a readable error."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise WebhookPayloadError(f"{what} is not UTF-8 text") from exc
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        # ValueError covers JSONDecodeError and ints too long to convert.
        raise WebhookPayloadError(f"{what} is not valid JSON") from exc


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def canonical_hash(*parts: Any) -> str:
    """A stable sha256 for events that carry no id of their own."""
    # ensure_ascii keeps lone surrogates encodable; sort_keys makes key order irrelevant.
    try:
        text = json.dumps(parts, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    except RecursionError as exc:
        raise WebhookPayloadError("the event is nested too deeply") from exc
    return hashlib.sha256(text.encode("ascii")).hexdigest()


def get_str(obj: Mapping[str, Any], key: str) -> str | None:
    """obj[key] if it is a non-empty string (after stripping), else None."""
    value = obj.get(key)
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def get_dict(obj: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = obj.get(key)
    return value if isinstance(value, dict) else {}


def get_list(obj: Mapping[str, Any], key: str) -> list[Any]:
    value = obj.get(key)
    return value if isinstance(value, list) else []


def get_code(obj: Mapping[str, Any], key: str) -> str | None:
    """An SMTP code that providers send either as a number or as text."""
    value = obj.get(key)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    return get_str(obj, key)


def clean_message_id(value: Any) -> str | None:
    """A Message-ID without surrounding whitespace and <>, or None."""
    if not isinstance(value, str):
        return None
    cleaned = value.strip()
    if cleaned.startswith("<") and cleaned.endswith(">"):
        cleaned = cleaned[1:-1].strip()
    return cleaned or None


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A request header by case-insensitive name (works for dicts and Werkzeug headers)."""
    wanted = name.lower()
    for key, value in headers.items():
        if isinstance(key, str) and key.lower() == wanted and isinstance(value, str):
            return value
    return None


# -- time -----------------------------------------------------------------------

_DIGITS = re.compile(r"[0-9]{1,11}")  # 11 digits reach year 5138, inside datetime range


def parse_epoch(value: Any, what: str) -> datetime:
    """Seconds since 1970 (int, float or digits) as an aware UTC datetime."""
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,12}(?:\.[0-9]{1,9})?", value.strip()):
        value = float(value)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise WebhookPayloadError(f"{what} is missing or not a number of seconds")
    if isinstance(value, float) and not math.isfinite(value):
        raise WebhookPayloadError(f"{what} is not a finite number")
    try:
        return datetime.fromtimestamp(value, tz=timezone.utc)
    except (OverflowError, OSError, ValueError) as exc:
        raise WebhookPayloadError(f"{what} is out of range") from exc


def parse_iso(value: Any, what: str) -> datetime:
    """An ISO 8601 timestamp with a zone (Postmark, SES) as an aware UTC datetime."""
    if not isinstance(value, str) or not value.strip():
        raise WebhookPayloadError(f"{what} is missing")
    text = value.strip()
    # Postmark sends 7 fractional digits; fromisoformat takes at most 6 before 3.11.
    text = re.sub(r"(\.[0-9]{6})[0-9]+", r"\1", text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise WebhookPayloadError(f"{what} is not an ISO 8601 time: {value[:40]!r}") from exc
    if moment.tzinfo is None:
        raise WebhookPayloadError(f"{what} has no time zone")
    try:
        return moment.astimezone(timezone.utc)
    except (OverflowError, ValueError) as exc:
        raise WebhookPayloadError(f"{what} is out of range") from exc


def parse_signed_timestamp(value: str | None, what: str) -> datetime:
    """A signing timestamp (whole seconds as text); anything else fails authentication."""
    if value is None or not _DIGITS.fullmatch(value.strip()):
        raise WebhookAuthError(f"{what} is missing or not a whole number of seconds")
    return datetime.fromtimestamp(int(value.strip()), tz=timezone.utc)


def check_fresh(signed_at: datetime, now: datetime | None, tolerance: timedelta, what: str,
                *, ahead: timedelta | None = None) -> None:
    """Refuse signatures older than ``tolerance`` (replays), or further in the future than
    ``ahead`` (``tolerance`` unless given)."""
    now = now or datetime.now(timezone.utc)
    ahead = tolerance if ahead is None else ahead
    if now - signed_at > tolerance or signed_at - now > ahead:
        raise WebhookAuthError(f"{what} is outside the accepted window of {tolerance}")
