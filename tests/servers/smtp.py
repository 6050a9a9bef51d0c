"""A real SMTP server on 127.0.0.1 (aiosmtpd, in its own thread) that records what it receives.

It speaks real SMTP, requires AUTH LOGIN/PLAIN with the configured credentials (over plain TCP, as a
local submission relay may), and answers RCPT TO with scripted replies when a test asks for failures.
Python package: aiosmtpd.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
from collections import deque
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from tests.fakes.http_receiver import free_port


@dataclass(frozen=True)
class ReceivedMail:
    """One accepted mail: the envelope, who logged in, and the message itself."""

    mail_from: str
    rcpt_tos: list[str]
    login: str | None
    data: bytes

    @property
    def message(self) -> EmailMessage:
        """The mail parsed with the standard library."""
        parsed = email.message_from_bytes(self.data, _class=EmailMessage, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class SmtpRecorder:
    """The aiosmtpd handler: records mails; RCPT answers come from `rcpt_script` while it has entries."""

    user: str
    password: str
    port: int = 0
    received: list[ReceivedMail] = field(default_factory=list)
    rcpt_script: deque[str] = field(default_factory=deque)
    rcpt_attempts: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        """Accept the recipient, or answer the next scripted reply ("451 ...", "550 ...")."""
        with self.lock:
            self.rcpt_attempts += 1
            if self.rcpt_script:
                return self.rcpt_script.popleft()
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """Record the mail."""
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        data = envelope.original_content or b""
        with self.lock:
            self.received.append(ReceivedMail(str(envelope.mail_from), list(envelope.rcpt_tos), login, data))
        return "250 Message accepted"

    def authenticate(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str,
                     auth_data: Any) -> AuthResult:
        """Only the configured user and password."""
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == self.user
              and auth_data.password.decode() == self.password)
        return AuthResult(success=ok, handled=False, auth_data=auth_data if ok else None)  # failure: 535

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedMail]:
        """Until `count` mails arrived."""
        async with asyncio.timeout(timeout):
            while len(self.received) < count:
                await asyncio.sleep(0.02)
        return list(self.received)

    def account_options(self) -> dict[str, object]:
        """The SMTP part of an e-mail account's options for this server (token = `password`)."""
        return {"smtp_host": "127.0.0.1", "smtp_port": self.port, "smtp_tls": "none", "smtp_user": self.user}


@contextmanager
def running_smtp(user: str, password: str) -> Iterator[SmtpRecorder]:
    """Serve an SmtpRecorder on a free port for the duration of the context."""
    recorder = SmtpRecorder(user, password, port=free_port())
    controller = Controller(recorder, hostname="127.0.0.1", port=recorder.port, authenticator=recorder.authenticate,
                            auth_require_tls=False)
    controller.start()
    try:
        yield recorder
    finally:
        controller.stop()
