"""Why an email failed, as one of the failure classes of app.events.reasons."""
from __future__ import annotations

from app.events import reasons
from app.models import EmailEvent, EmailMessage


def event_class(event: EmailEvent) -> str:
    """The class stored with a rejection, or read from its code and text."""
    details = event.details or {}
    if details.get("class") in reasons.CLASSES:
        return details["class"]
    return reasons.class_of(details.get("reason")
                            or reasons.reason_for(event.code, event.diagnostic))


def failure_class(message: EmailMessage) -> str | None:
    """The class of the email's last rejection, or None when it was not rejected."""
    if message.status != "rejected":
        return None
    rejections = [e for e in message.events if e.type == "rejected"]
    return event_class(rejections[-1]) if rejections else reasons.OTHER
