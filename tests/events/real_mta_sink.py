"""The loopback "receiving server" behind tests/events/samples/real_*.eml (not a test).

The real_* samples are bounce and delay notices written by real mail servers installed on
a development machine (dma, Postfix, Exim, ...), each configured to relay every message to
this aiosmtpd server, which refuses recipients or data with the replies below. The local
part of a recipient picks the reply, so what each notice should say is known in advance:
tests/events/samples/expected.json is written from this table, not from the parser.

    python tests/events/real_mta_sink.py --port 2525 --log /tmp/sink.log

Anything not listed is accepted (250). A DATA-phase refusal applies to every recipient
the server had accepted for that message, so those cases are sent one recipient a time.

How each server was set up (Debian 12 packages, one at a time, purged after): the sender
was bounces+<token>@office.example.org, delivered locally (dma: a local user); every other
domain went to this server on port 2525, refused.example.net to a closed port and
mail.nosuchhost.invalid to DNS (NXDOMAIN); delay warnings after 1 minute and a queue
lifetime of 3-4 minutes (Postfix delay_warning_time, Exim delay_warning and a F,3m,20s
retry rule, OpenSMTPD bounce warn-interval and queue ttl). Sendmail relayed its notices
back here (``--keep DIR`` saves mail from the null sender).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time

from aiosmtpd.controller import Controller

# local part prefix -> (phase, reply). "rcpt" replies refuse RCPT TO; "data" refuse DATA.
REPLIES: dict[str, tuple[str, str]] = {
    "unknown": ("rcpt", "550 5.1.1 <{addr}>: Recipient address rejected: User unknown in "
                        "virtual mailbox table"),
    "full": ("rcpt", "552 5.2.2 <{addr}>: Mailbox full, quota exceeded"),
    "rbl": ("rcpt", "554 5.7.1 Service unavailable; Client host [127.0.0.1] blocked using "
                    "zen.spamhaus.org; https://www.spamhaus.org/query/ip/127.0.0.1"),
    "disabled": ("rcpt", "550 5.2.1 <{addr}>: mailbox disabled, account suspended"),
    "moved": ("rcpt", "551 5.1.6 <{addr}>: User has moved; please try "
                      "<new.address@example.com>"),
    "relay": ("rcpt", "554 5.7.1 <{addr}>: Relay access denied"),
    "gmailish": ("rcpt", "550-5.1.1 The email account that you tried to reach does not exist. "
                         "Please try\r\n550-5.1.1 double-checking the recipient's email address "
                         "for typos or\r\n550 5.1.1 unnecessary spaces. x12-20020a05 - gsmtp"),
    "jp": ("rcpt", "550 5.1.1 <{addr}>: 宛先のメールアドレスは存在しません (user unknown)"),
    "de": ("rcpt", "550 5.2.2 <{addr}>: Das Postfach ist voll, Speicherplatz überschritten"),
    "later": ("rcpt", "451 4.7.1 <{addr}>: Recipient address rejected: Greylisted, please "
                      "try again later"),
    "busy": ("rcpt", "450 4.2.1 <{addr}>: Mailbox temporarily unavailable"),
    "tempfull": ("rcpt", "452 4.2.2 <{addr}>: Mailbox full, try again later"),
    "dmarc": ("data", "550 5.7.26 Unauthenticated email from example.org is not accepted due "
                      "to domain's DMARC policy"),
    "big": ("data", "552 5.3.4 Message size exceeds fixed maximum message size"),
    "spam": ("data", "550 5.7.1 Message rejected as spam by content filter"),
    "virus": ("data", "554 5.7.0 Message rejected: virus found (Eicar-Signature)"),
}


def reply_for(address: str) -> tuple[str, str] | None:
    local = address.split("@", 1)[0].lower()
    for prefix in sorted(REPLIES, key=len, reverse=True):
        if local.startswith(prefix):
            phase, text = REPLIES[prefix]
            return phase, text.format(addr=address)
    return None


class Sink:
    def __init__(self, log_path: str, keep: str | None = None) -> None:
        self.log_path = log_path
        self.keep = keep

    def _log(self, line: str) -> None:
        with open(self.log_path, "a", encoding="utf-8") as log:
            log.write(f"{time.strftime('%H:%M:%S')} {line}\n")

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        found = reply_for(address)
        if found and found[0] == "rcpt":
            self._log(f"RCPT {address} -> {found[1].splitlines()[0]}")
            return found[1]
        envelope.rcpt_tos.append(address)
        self._log(f"RCPT {address} -> 250")
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server, session, envelope):
        if self.keep and envelope.mail_from in ("", "<>"):
            # A notice from the null sender (a bounce relayed back to us): keep it.
            path = os.path.join(self.keep, f"{time.time():.6f}.eml")
            with open(path, "wb") as out:
                out.write(envelope.original_content or envelope.content)
            self._log(f"DATA <> {envelope.rcpt_tos} -> kept {path}")
            return "250 2.0.0 Ok: kept"
        for address in envelope.rcpt_tos:
            found = reply_for(address)
            if found and found[0] == "data":
                self._log(f"DATA {envelope.rcpt_tos} -> {found[1]}")
                return found[1]
        self._log(f"DATA {envelope.rcpt_tos} from {envelope.mail_from} -> 250")
        return "250 2.0.0 Ok: queued"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=2525)
    parser.add_argument("--log", default="/tmp/real_mta_sink.log")
    parser.add_argument("--keep", default=None,
                        help="a directory to keep notices from the null sender in, for MTAs "
                             "that relay their bounces here instead of delivering them locally")
    args = parser.parse_args()
    controller = Controller(Sink(args.log, args.keep), hostname="127.0.0.1", port=args.port,
                            server_hostname="mx.example.net", enable_SMTPUTF8=True)
    controller.start()
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


if __name__ == "__main__":
    asyncio.set_event_loop(asyncio.new_event_loop())
    main()
