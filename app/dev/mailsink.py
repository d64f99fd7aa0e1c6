"""A local SMTP sink (aiosmtpd on loopback) that files every message as .eml."""
from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

from aiosmtpd.controller import Controller


class _FileHandler:
    def __init__(self, directory: Path):
        self.directory = directory

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
        stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
        name = f"{stamp}-{uuid.uuid4().hex[:12]}.eml"
        header = (f"X-Sink-Mail-From: {envelope.mail_from}\r\n"
                  f"X-Sink-Rcpt-To: {', '.join(envelope.rcpt_tos)}\r\n").encode()
        tmp = self.directory / (name + ".tmp")
        tmp.write_bytes(header + envelope.original_content)
        os.replace(tmp, self.directory / name)  # readers never see half a message
        return "250 Message accepted for delivery"


def start_sink(directory: str | Path, port: int = 0) -> Controller:
    """Start the sink on 127.0.0.1; `controller.port` tells where it listens."""
    from app.dev.net import free_port

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    controller = Controller(_FileHandler(directory), hostname="127.0.0.1",
                            port=port or free_port(), data_size_limit=50 * 1024 * 1024,
                            enable_SMTPUTF8=True)  # a sink takes every address
    controller.start()
    return controller
