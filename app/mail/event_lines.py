"""Each stored email event as one line a bookkeeper understands, with the rest behind Details.

The one home for these words: the invoice page, the popup, the report's history and the
customer's timeline all show `event_line(event)`. Codes, server answers, addresses and
user agents are never in the line itself, only in its `details`. Failure reasons are
`app.mail.failures`' words; which hits are machines is `app.events.automation`'s call.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Iterable

from app.clock import now as clock_now
from app.events.automation import APPLE_MPP
from app.events.status import OPEN_TYPES
from app.mail import failures
from app.mail.delays import DELAY_WINDOW
from app.mail.outbox import duration_words
from app.settings import formatting

HANDED = "Handed to your mail server"
DELIVERED = "Delivered"
OPENED = "Opened"
VIEWED = "Viewed the invoice online"
CLICKED = "Clicked a link"
SPAM = "Marked as spam by the recipient"
SETTLED = (f"Sent — no failure was reported in the {DELAY_WINDOW.days} days after the "
           "delay")
REMOTE_DELAY = "Delayed — the receiving server is retrying"
OUR_DELAY = "Delayed — we will try again"
APPLE_FETCH = "Fetched by Apple Mail Privacy Protection (may not mean read)"
MACHINE_FETCH = "Fetched automatically, not by a person (may not mean read)"
LINK_SCANNER = "Checked by a link scanner"

# Who told us, for Details.
_SOURCES = {
    "smtp": "Your mail server's answer", "dsn": "A delivery report (bounce mail)",
    "arf": "A complaint report", "pixel": "The tracking image", "click": "A tracked link",
    "client-view": "The invoice's online page",
    "retry window": f"No news for {DELAY_WINDOW.days} days after a delay",
}
_PROVIDERS = {"mailgun": "Mailgun", "sendgrid": "SendGrid", "postmark": "Postmark",
              "ses": "Amazon SES"}


@dataclass(frozen=True)
class EventLine:
    text: str
    # A privacy proxy's or scanner's open or click: listed apart, never counted.
    machine: bool = False
    # Why it failed, in words, when the line itself does not say it (a remote delay).
    why: str = ""
    details: tuple[tuple[str, str], ...] = ()


def event_line(event, now: datetime | None = None) -> EventLine:
    """The line for one EmailEvent (or anything with its attributes)."""
    text, why = _text(event, now or clock_now())
    return EventLine(text, is_machine(event), why, _details(event))


def is_machine(event) -> bool:
    return bool(event.automated) and event.type in OPEN_TYPES


def split_machine(events: Iterable) -> tuple[list, list]:
    """(events that are the email's story, machine opens and clicks shown apart)."""
    events = list(events)
    return ([e for e in events if not is_machine(e)], [e for e in events if is_machine(e)])


def _text(event, now: datetime) -> tuple[str, str]:
    kind, details = event.type, event.details or {}
    if kind == "sent":
        if event.delivered:
            return DELIVERED, ""
        return (SETTLED if event.source == "retry window" else HANDED), ""
    if kind == "delayed":
        if event.source != "smtp":
            words = "" if failures.is_unknown(event.reason) else failures.words(event.reason)
            return REMOTE_DELAY, words
        # Our own relay's retry, which we schedule (stored with the event since #16).
        return _our_delay(event.occurred_at, _when(details.get("retry_at")), now), ""
    if kind == "rejected":
        if details.get("gave_up") and event.source == "smtp":
            return _gave_up(details), ""
        return failures.failure_text("rejected", event.reason), ""
    if kind == "spam":
        return SPAM, ""
    if kind == "viewed":
        return VIEWED, ""
    if kind == "opened":
        if not event.automated:
            return OPENED, ""
        return (APPLE_FETCH if details.get("automation_rule") == APPLE_MPP
                else MACHINE_FETCH), ""
    if kind == "clicked":
        return (LINK_SCANNER if event.automated else CLICKED), ""
    return kind.capitalize(), ""


def _our_delay(at: datetime, retry: datetime | None, now: datetime) -> str:
    """When we try again, on the office's clock and in its formats (the time alone on
    the day of the delay), as every time on the pages is."""
    if retry is None:
        return f"{OUR_DELAY} later"
    retry, at = _aware(retry), _aware(at)
    office = formatting.current()
    same_day = retry.astimezone(office.zone).date() == at.astimezone(office.zone).date()
    when = office.when(retry, formatting.TIME if same_day else formatting.DATETIME)
    if retry <= _aware(now):
        return f"Delayed — we tried again at {when}"
    return f"{OUR_DELAY} at {when}"


def _gave_up(details: dict) -> str:
    tries = details.get("tries") or details.get("attempt")
    text = f"Gave up after {tries} tries" if tries else "Gave up"
    over = details.get("over_seconds")
    if over:
        text += f" over {duration_words(timedelta(seconds=int(over)))}"
    return text + " — the email was not delivered"


def _details(event) -> tuple[tuple[str, str], ...]:
    details = event.details or {}
    source = event.source or ""
    if source.startswith("webhook:"):
        provider = source.split(":", 1)[1]
        said = f"{_PROVIDERS.get(provider, provider)} (the mail service's report)"
    else:
        said = _SOURCES.get(source, source)
    rows = [("Reported by", said)]
    if event.code:
        rows.append(("Code", event.code))
    if event.diagnostic:
        rows.append(("What the server said" if source in ("smtp", "dsn") or
                     source.startswith("webhook:") else "Note", event.diagnostic))
    if source == "smtp" and details.get("attempt"):
        rows.append(("Attempt", str(details["attempt"])))
    if details.get("automation_rule"):
        rows.append(("Why we think a machine did it", str(details["automation_rule"])))
    if details.get("provider_flag"):
        rows.append(("The mail service's flag", str(details["provider_flag"])))
    if event.url:
        rows.append(("Link", event.url))
    if event.user_agent:
        rows.append(("Program (user agent)", event.user_agent))
    if event.ip:
        rows.append(("IP address", event.ip))
    return tuple(rows)


def _when(value) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value))
    except ValueError:
        return None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def counts_text(message) -> str:
    """"2 opens by a person, 1 click · 3 machine opens, not counted"; empty when none.

    The opens are `human_opens` (app.events.status.open_count: views count, a click alone
    counts once), so this never says no opens beside "Opened".
    """
    people = [_plural(message.human_opens, "open") + " by a person"] \
        if message.human_opens else []
    if message.clicks:
        people.append(_plural(message.clicks, "click"))
    text = ", ".join(people)
    if message.automated_opens:
        machines = _plural(message.automated_opens, "machine open") + ", not counted"
        text = f"{text} · {machines}" if text else f"No opens by a person yet · {machines}"
    return text


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
