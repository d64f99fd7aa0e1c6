"""One SMTP session for a batch of messages, and what each answer means for the status."""
from __future__ import annotations

import re
import smtplib
import socket
from dataclasses import dataclass, replace
from datetime import datetime

from flask_mail import Connection

from app.events import reasons
from app.mail.mime import ascii_domain

# The one refusal that is ours, not the server's: said in words an office can act on.
NO_SMTPUTF8 = ("this address needs international mail support (SMTPUTF8), "
               "which your mail server does not offer")


@dataclass(frozen=True)
class Outcome:
    """What the receiving server said about one message."""

    result: str  # "sent" | "rejected" | "delayed"
    code: int | None
    reply: str
    # Why it failed (app.events.reasons), read from the server's reply, or named by us for
    # our own refusals; what follows from it is app.mail.consequences' (by its class).
    reason: str = ""
    size: int | None = None  # of the email, in bytes, when it was offered to the server
    # When the server answered (the worker stores a group's answers together, later).
    at: datetime | None = None


class SmtpSession(Connection):
    """Flask-Mail's connection with a timeout, keeping the server's reply per message."""

    def __init__(self, mail, timeout: float):
        super().__init__(mail)
        self.timeout = timeout

    def configure_host(self):
        state = self.mail
        cls = smtplib.SMTP_SSL if state.use_ssl else smtplib.SMTP
        host = cls(state.server, state.port, timeout=self.timeout)
        if state.use_tls:
            host.starttls()
        if state.username and state.password:
            host.login(state.username, state.password)
        return host

    def __enter__(self) -> "SmtpSession":
        return self  # connect lazily, on the first message

    def __exit__(self, exc_type, exc_value, tb) -> None:
        self.close()

    def close(self) -> None:
        if self.host is not None:
            try:
                self.host.quit()
            except (smtplib.SMTPException, OSError):
                self.host.close()
            self.host = None

    @property
    def alive(self) -> bool:
        return self.host is not None and self.host.sock is not None

    def deliver(self, envelope_from: str, recipient: str, data: bytes) -> Outcome:
        """Send one message to one recipient; never raises, whatever goes wrong.

        Whatever happens to one message becomes its own outcome: an exception here would
        end the batch and leave the messages already handed over "sending", to be sent
        again by the sweep.
        """
        try:
            if not self.alive:
                try:
                    self.host = self.configure_host()
                except smtplib.SMTPResponseException as exc:
                    # Greeting, STARTTLS or login refused (a wrong password, say): our
                    # setup or the server's, not this message's. Retry later.
                    self._drop()
                    return outcome_for(exc.smtp_code, _text(exc.smtp_error), final=False)
            self.host.ehlo_or_helo_if_needed()  # its answer lists what the server offers
            recipient = ascii_domain(recipient)
            international = not (recipient.isascii() and data.isascii())
            if international and not self.host.has_extn("smtputf8"):
                # Final for this message and this server; the address itself may be fine:
                # our relay's shortcoming, no verdict on anyone (class "other").
                return Outcome("rejected", None, NO_SMTPUTF8, reason="mailererror")
            return self._transaction(envelope_from, recipient, data, international)
        # SMTPException subclasses OSError: the server's answers must be caught first.
        except smtplib.SMTPRecipientsRefused as exc:
            # Whose problem a refusal of the recipient is, the reply says: "550 5.1.1 user
            # unknown" is the address's, "550 5.7.1 blocked" our office's.
            self._reset()
            code, reply = next(iter(exc.recipients.values()))
            return replace(outcome_for(code, _text(reply)), size=len(data))
        except smtplib.SMTPDataError as exc:
            # The content was refused: final for this message (too large, spam, a virus).
            self._reset()
            return replace(outcome_for(exc.smtp_code, _text(exc.smtp_error)), size=len(data))
        except smtplib.SMTPResponseException as exc:
            # HELO or MAIL FROM refused: the envelope sender or the session, not the
            # recipient. Temporary, whatever the code, so that fixing the setup resends.
            self._reset()
            outcome = outcome_for(exc.smtp_code, _text(exc.smtp_error), final=False)
            if isinstance(exc, smtplib.SMTPSenderRefused):
                # Our envelope sender was refused, whatever words the server chose.
                outcome = replace(outcome, reason="rejected")
            return outcome
        except (smtplib.SMTPServerDisconnected, socket.timeout, TimeoutError,
                ConnectionError, OSError) as exc:
            self._drop()
            return Outcome("delayed", None, f"connection problem: {exc}".strip(),
                           reason="networkerror")
        except Exception as exc:  # noqa: BLE001 - one message's fault ends here, not the batch
            # The session is in an unknown state: start the next message afresh. The
            # attempt counts, so a fault that repeats ends at MAIL_MAX_ATTEMPTS.
            self._drop()
            return Outcome("delayed", None, f"could not send the message: {exc}",
                           reason="mailererror")

    def _transaction(self, envelope_from: str, recipient: str, data: bytes,
                     international: bool = False) -> Outcome:
        host = self.host
        options = ["SMTPUTF8"] if international else []
        if international and host.has_extn("8bitmime"):
            options.append("BODY=8BITMIME")  # UTF-8 headers are 8-bit content
        code, reply = host.mail(envelope_from, options)
        if code != 250:
            raise smtplib.SMTPSenderRefused(code, reply, envelope_from)
        code, reply = host.rcpt(recipient)
        if code not in (250, 251):
            raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
        code, reply = host.data(data)
        if code != 250:
            raise smtplib.SMTPDataError(code, reply)
        return Outcome("sent", code, _text(reply))

    def _reset(self) -> None:
        try:
            self.host.rset()
        except (smtplib.SMTPException, OSError, AttributeError):
            self._drop()

    def _drop(self) -> None:
        if self.host is not None:
            try:
                self.host.close()
            except OSError:
                pass
        self.host = None


def outcome_for(code: int | None, reply: str, *, final: bool = True) -> Outcome:
    """5xx is final (Rejected); 4xx and anything unclear is temporary (Delayed), and so is
    everything when not `final` (a refused login or sender: fixing the setup resends)."""
    if code is not None and 200 <= code < 300:
        return Outcome("sent", code, reply)
    result = "rejected" if final and code is not None and 500 <= code < 600 else "delayed"
    return Outcome(result, code, reply, reason=reply_reason(code, reply))


# An RFC 3463 enhanced status code at the start of a reply's text ("5.7.1 blocked").
_ENHANCED = re.compile(r"\s*([245]\.\d{1,3}\.\d{1,3})\b")


def reply_reason(code: int | None, reply: str) -> str:
    """The reason for a server's refusal: its enhanced code, its words, its basic code."""
    enhanced = _ENHANCED.match(reply or "")
    return reasons.reason_for(enhanced.group(1) if enhanced else None, reply,
                              str(code) if code else None)


def _text(reply) -> str:
    if isinstance(reply, bytes):
        reply = reply.decode("utf-8", "replace")
    return " ".join(str(reply).split())[:2000]
