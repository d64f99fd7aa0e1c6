"""Mail about the settings themselves: every admin told when a guarded setting changes,
the "send me a test" email, and the honest guess whether the sender's domain will pass
SPF/DKIM alignment at the configured relay. All of it is system mail (untracked)."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from app import clock, settings
from app.extensions import db
from app.mail import outbox
from app.mail.placeholders import signature
from app.models import User
from app.settings import formatting
from app.settings.keys import KEYS

_LOCAL = {"", "localhost", "127.0.0.1", "::1"}


def guarded(changed: Mapping[str, tuple]) -> dict[str, tuple]:
    """The changes that need the admin's password again and every admin told."""
    return {n: v for n, v in changed.items() if KEYS[n].guarded}


def tell_admins(changed: Mapping[str, tuple], user) -> list[int]:
    """Email every active admin what changed (old → new) and who changed it: the messages
    are added to the session, for the caller's commit (with the change itself); returns
    their ids, to enqueue after that commit."""
    admins = db.session.scalars(select(User).where(User.role == "admin",
                                                   User.active.is_(True))).all()
    who = getattr(user, "display_name", "") or getattr(user, "email", "someone")
    lines = [f"{who} changed the office's settings on {formatting.when(clock.now())}:", ""]
    lines += [f"- {KEYS[n].label}: {old or '(empty)'} → {new or '(empty)'}"
              for n, (old, new) in changed.items()]
    lines += ["", "Invoices and emails use the new values from now on. If you did not expect "
                  "this change, check it now: a changed bank account or sender is how invoice "
                  "fraud usually starts. Admin → Settings shows the values; the audit log "
                  "shows every change."]
    office = settings.get("office.name")
    messages = outbox.add_system_messages(
        recipients=[outbox.Recipient(a.email, a.display_name) for a in admins],
        subject=f"{office}: bank or sender details were changed", body="\n".join(lines))
    return [m.id for m in messages]


def send_test(user) -> int:
    """Queue a test email to `user` from the configured sender; returns its message id."""
    office = settings.get("office.name")
    body = (f"Hello {getattr(user, 'display_name', '')},\n\nthis is a test email from "
            f"{office}'s Clientele. It left with the sender, Reply-To and signature set in "
            f"Admin → Settings, which invoice emails use too.\n\n{signature(office)}")
    [message] = outbox.add_system_messages(
        recipients=[outbox.Recipient(user.email, getattr(user, "display_name", ""))],
        subject=f"Test email from {office}", body=body)
    db.session.commit()
    outbox.enqueue([message.id])
    return message.id


def alignment_warning(sender_address: str, config: Mapping[str, Any]) -> str | None:
    """Why mail from `sender_address` will likely fail SPF/DKIM alignment at the relay,
    or None. A guess from names only (no DNS is looked up): the relay's login or host
    in another domain than the sender's usually means the relay signs and is authorised
    for its own domain, not the sender's."""
    sender_domain = sender_address.rpartition("@")[2].lower()
    relay = (config.get("MAIL_SERVER") or "").lower()
    login = (config.get("MAIL_USERNAME") or "").lower()
    if not sender_domain or relay in _LOCAL:
        return None
    login_domain = login.rpartition("@")[2] if "@" in login else ""
    if login_domain and not _related(login_domain, sender_domain):
        return (f"You send as {sender_domain}, but log in to the mail server {relay} as an "
                f"account of {login_domain}. Unless {sender_domain}'s DNS authorises that "
                f"server (SPF) and the server signs with a key of {sender_domain} (DKIM), "
                "receivers will likely see the mail as not coming from you and file it as "
                "spam or refuse it (DMARC).")
    if not login_domain and not _related(relay, sender_domain):
        return (f"You send as {sender_domain} through the mail server {relay}, which is in "
                f"another domain. That works only if {sender_domain}'s DNS authorises it "
                f"(SPF) and it signs with a key of {sender_domain} (DKIM); your mail "
                "provider's set-up guide says how. Otherwise receivers will likely file the "
                "mail as spam or refuse it.")
    return None


def _related(host: str, domain: str) -> bool:
    """`host` is `domain`, or one is inside the other (smtp.example.com, example.com)."""
    return host == domain or host.endswith("." + domain) or domain.endswith("." + host) \
        or _base(host) == _base(domain)


def _base(host: str) -> str:
    """The last two labels ("mail.example.com" → "example.com"): close enough for a guess
    (it misreads "example.co.uk" as "co.uk", which only makes the warning rarer)."""
    return ".".join(host.split(".")[-2:])
