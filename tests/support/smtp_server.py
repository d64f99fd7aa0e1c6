"""A real SMTP server on loopback (aiosmtpd) that can be told how to answer."""
from __future__ import annotations

import threading
from dataclasses import dataclass, field
from email import message_from_bytes

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from app.dev.net import free_port


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    mail_options: list[str] = field(default_factory=list)

    @property
    def message(self):
        return message_from_bytes(self.data)


@dataclass
class _Handler:
    # accept | reject | defer | drop | refuse-sender | refuse-data, or a reply of its own:
    # "rcpt:550 5.7.1 ..." answers RCPT TO with it, "data:552 5.3.4 ..." answers DATA.
    mode: str = "accept"
    refuse_login: bool = False  # answer 535 to AUTH (a wrong password)
    delay: float = 0.0  # seconds to wait before answering DATA (a slow server)
    per_recipient: dict[str, str] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    connections: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def _mode_for(self, address: str) -> str:
        return self.per_recipient.get(address.lower(), self.mode)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
        with self.lock:
            self.connections += 1
        session.host_name = hostname
        return responses

    def authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:
        return AuthResult(success=not self.refuse_login, handled=False)

    async def handle_MAIL(self, server, session, envelope, address, mail_options):  # noqa: N802
        if self.mode == "refuse-sender":
            return "553 5.7.1 <%s>: Sender address rejected: not owned by user" % address
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        mode = self._mode_for(address)
        if mode.startswith("rcpt:"):
            return mode.removeprefix("rcpt:")
        if mode == "reject":
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
        if mode == "defer":
            return "451 4.7.1 <%s>: Greylisted, please try again later" % address
        if mode == "drop":
            server.transport.close()
            return "421 4.4.2 closing connection"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if any(self._mode_for(a) == "refuse-data" for a in envelope.rcpt_tos):
            return "554 5.7.1 Message rejected: content looks like spam"
        for address in envelope.rcpt_tos:
            if self._mode_for(address).startswith("data:"):
                return self._mode_for(address).removeprefix("data:")
        if self.delay:
            import asyncio

            await asyncio.sleep(self.delay)
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                          envelope.original_content,
                                          list(envelope.mail_options)))
        return "250 2.0.0 Ok: queued as TEST%04d" % len(self.received)


class ControlledSmtpServer:
    def __init__(self, smtputf8: bool = False):
        """`smtputf8`: offer international mail (RFC 6531), as many relays do not."""
        self.handler = _Handler()
        self.port = free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port,
                                     authenticator=self.handler.authenticate,
                                     auth_require_tls=False, enable_SMTPUTF8=smtputf8)

    def start(self) -> "ControlledSmtpServer":
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller.server is not None:
            self.controller.stop()

    def set_mode(self, mode: str, **per_recipient: str) -> None:
        self.handler.mode = mode
        self.handler.per_recipient = {k.lower(): v for k, v in per_recipient.items()}

    def answer(self, address: str, mode: str) -> None:
        self.handler.per_recipient[address.lower()] = mode

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    @property
    def connections(self) -> int:
        return self.handler.connections
