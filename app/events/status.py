"""Sent Status rules: which single status an email shows, given what we know about it.

The rules are a table (``STATUS_RULES``) that both ``derive_status`` and the
"How statuses are decided" page read, so the explanation users see is the code
that runs. The first rule that applies wins.

Ordering rule, so the answer never depends on the order events *arrive* in:

* Spam, Rejected and a real (human) open are sticky: if any such event exists,
  its time does not matter, and precedence decides (Marked Spam > Rejected > Opened).
* Otherwise only the "delivery stage" is in question (Sent vs Delayed). Each
  stage event is placed on the provider's own clock (``occurred_at``) and the
  latest one decides. Events in the very same instant are ordered by how far
  along the delivery they are: relay accepted (plain "sent") < "delayed" <
  delivered, because a remote server can only defer what our relay already
  accepted, and can only deliver after its last deferral. Providers often
  stamp events to the whole second, so such ties are common.
* An automated open or click (an Apple privacy proxy, a link scanner) never
  makes an email "Opened", but it does prove the message reached the mailbox,
  so it counts as a delivery at its time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from enum import StrEnum


class Status(StrEnum):
    QUEUED = "queued"
    SENT = "sent"
    DELAYED = "delayed"
    OPENED = "opened"
    REJECTED = "rejected"
    SPAM = "spam"


STATUS_LABELS: dict[Status, str] = {
    Status.QUEUED: "Queued",
    Status.SENT: "Sent",
    Status.DELAYED: "Delayed",
    Status.OPENED: "Opened",
    Status.REJECTED: "Rejected",
    Status.SPAM: "Marked Spam",
}

STATUS_CSS: dict[Status, str] = {status: f"status-{status.value}" for status in Status}

# Event types that stand for "someone looked at it"; clicked and viewed imply opened.
OPEN_TYPES = frozenset({"opened", "clicked", "viewed"})
EVENT_TYPES = frozenset({"sent", "delayed", "rejected", "spam"}) | OPEN_TYPES


@dataclass(frozen=True)
class EventFact:
    """What the status rules need to know about one stored event."""

    type: str
    occurred_at: datetime
    automated: bool = False
    delivered: bool = False


# Delivery stages in the order they can happen to one message; used to break
# ties between stage events that carry the same timestamp.
_STAGE_ACCEPTED = 1
_STAGE_DELAYED = 2
_STAGE_DELIVERED = 3


@dataclass(frozen=True)
class Evidence:
    """A summary of all events for one email, computed once for the rules."""

    spam: bool
    rejected: bool
    human_open: bool
    latest_stage: int | None  # one of the _STAGE_* values, or None if no stage event

    @classmethod
    def from_events(cls, events: Iterable[EventFact]) -> Evidence:
        spam = rejected = human_open = False
        latest: tuple[datetime, int] | None = None
        for event in events:
            if event.type == "spam":
                spam = True
            elif event.type == "rejected":
                rejected = True
            elif event.type in OPEN_TYPES and not event.automated:
                human_open = True
            stage = _stage_of(event)
            if stage is not None:
                key = (_as_utc(event.occurred_at), stage)
                if latest is None or key > latest:
                    latest = key
        return cls(spam, rejected, human_open, None if latest is None else latest[1])


def _stage_of(event: EventFact) -> int | None:
    if event.type == "sent":
        return _STAGE_DELIVERED if event.delivered else _STAGE_ACCEPTED
    if event.type == "delayed":
        return _STAGE_DELAYED
    if event.type in OPEN_TYPES:
        # Only reached by automated hits in practice (a human open wins outright),
        # and a proxy or scanner can only fetch what was delivered.
        return _STAGE_DELIVERED
    return None


def _as_utc(moment: datetime) -> datetime:
    # Naive times are taken as UTC (the app stores UTC); mixing naive and aware
    # datetimes would otherwise raise TypeError while comparing.
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


@dataclass(frozen=True)
class StatusRule:
    status: Status
    explanation: str  # plain language, shown to users
    applies: Callable[[Evidence], bool]

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]


# Checked top to bottom; the first rule that applies decides.
STATUS_RULES: tuple[StatusRule, ...] = (
    StatusRule(
        Status.SPAM,
        "A recipient, or their mail provider, reported the email as spam. "
        "This outranks everything else. Reports that are not complaints (a failed "
        "sender check, \"not spam\", a virus scan) do not count.",
        lambda e: e.spam,
    ),
    StatusRule(
        Status.REJECTED,
        "The receiving server refused the email for good (a hard bounce, a block, "
        "or the provider dropped it). A delay that ends in failure shows here. The "
        "history says why and whose problem it is; when a person marks that verdict "
        "wrong, the email stays Rejected (it was not delivered), marked so, and the "
        "address can be emailed again.",
        lambda e: e.rejected,
    ),
    StatusRule(
        Status.OPENED,
        "A person opened the email or clicked one of its links. Opens and clicks made "
        "by privacy proxies and link scanners are listed separately and do not count.",
        lambda e: e.human_open,
    ),
    StatusRule(
        Status.DELAYED,
        "The receiving server asked us to try again later and nothing newer has "
        "arrived yet. It will change to Sent once delivery is confirmed, or to "
        "Rejected if it finally fails. Receiving servers retry for a few days and "
        "then report a failure: five days after the last delay without one, the "
        "email shows Sent again.",
        lambda e: e.latest_stage == _STAGE_DELAYED,
    ),
    StatusRule(
        Status.SENT,
        "The email left our mail server, or the receiving server confirmed delivery "
        "(including after an earlier delay). Automated opens also prove delivery.",
        lambda e: e.latest_stage in (_STAGE_ACCEPTED, _STAGE_DELIVERED),
    ),
    StatusRule(
        Status.QUEUED,
        "The email is waiting to be sent.",
        lambda e: True,
    ),
)

# The explanation users read, in the order the rules are checked.
STATUS_TABLE: tuple[tuple[str, str, str], ...] = tuple(
    (rule.label, STATUS_CSS[rule.status], rule.explanation) for rule in STATUS_RULES
)



def open_count(opens: int, views: int, clicks: int) -> int:
    """How many times people opened an email, the one count every screen and file shows.

    Loads of the tracking image and views of the invoice online, by people; a person who
    only clicked a link (their mail program blocked the image) opened it once at least.
    So the count is above zero exactly when a person's open made the email "Opened"
    (machine opens and clicks are never passed in).
    """
    return opens + views or (1 if clicks else 0)


def derive_status(events: Iterable[EventFact]) -> Status:
    """The Sent Status for one email; event types outside EVENT_TYPES are ignored."""
    evidence = Evidence.from_events(events)
    for rule in STATUS_RULES:
        if rule.applies(evidence):
            return rule.status
    raise AssertionError("the last rule always applies")  # pragma: no cover


# ---- one send, several recipients ------------------------------------------------------
#
# Each To/Cc/Bcc recipient of a send has its own Sent Status; where one line stands for the
# whole send (the invoices list icon, the invoice page, the report) this rule summarises
# them. It adds no status: the summary shows one of the statuses above, with a count.

# A problem outranks any progress, in this order; otherwise the furthest progress shows.
SUMMARY_PROBLEMS: tuple[Status, ...] = (Status.SPAM, Status.REJECTED, Status.DELAYED)
SUMMARY_PROGRESS: tuple[Status, ...] = (Status.OPENED, Status.SENT, Status.QUEUED)

SUMMARY_RULE = (
    "When an email went to several recipients (To, Cc and Bcc), each recipient has a Sent "
    "Status of their own, shown in the Email History. Where one line stands for the whole "
    "send, a problem shows first with how many recipients it affects (Marked Spam, then "
    "Rejected, then Delayed: \u201cRejected \u00b7 1 of 3\u201d); otherwise the furthest "
    "progress (\u201c1 of 2 opened\u201d, or \u201cSent\u201d when every recipient got it)."
)


@dataclass(frozen=True)
class Summary:
    """One line for a send: the status it shows, in words, and how many it concerns."""

    status: Status
    label: str  # "Rejected · 1 of 3", "1 of 2 opened", "Sent"
    count: int  # recipients with `status`
    total: int  # recipients of the send
    detail: str  # every recipient's status counted: "1 rejected, 2 opened"


def summarise(statuses: Sequence[Status | str]) -> Summary | None:
    """The summary of one send's recipients' statuses (None for no recipients)."""
    if not statuses:
        return None
    counts = Counter(Status(s) for s in statuses)
    total = len(statuses)
    detail = ", ".join(f"{counts[s]} {STATUS_LABELS[s].lower()}"
                       for s in SUMMARY_PROBLEMS + SUMMARY_PROGRESS if counts[s])
    shown = next(s for s in SUMMARY_PROBLEMS + SUMMARY_PROGRESS if counts[s])
    count = counts[shown]
    if count == total:  # one recipient, or all alike: the status alone
        label = STATUS_LABELS[shown]
    elif shown in SUMMARY_PROBLEMS:
        label = f"{STATUS_LABELS[shown]} · {count} of {total}"
    else:
        label = f"{count} of {total} {STATUS_LABELS[shown].lower()}"
    return Summary(shown, label, count, total, detail)
