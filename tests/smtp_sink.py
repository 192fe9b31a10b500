"""A real SMTP server for tests (aiosmtpd), started by the test itself: it keeps every mail it
receives, optionally asks for a user and password, and can speak TLS from the first byte
(``smtps://``) with a certificate the test makes."""

from __future__ import annotations

import re
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.crdt.live import free_port

LINK = re.compile(r"https?://\S+")


@dataclass
class Received:
    sender: str
    recipients: list[str]
    message: EmailMessage

    @property
    def to(self) -> str:
        return str(self.message["To"])

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        body = self.message.get_body(preferencelist=("plain",))
        assert body is not None
        return str(body.get_content()).replace("\r\n", "\n")

    def links(self) -> list[str]:
        return LINK.findall(self.text)


@dataclass
class Sink:
    """What the server received; ``refuse`` makes it answer the next mails with that code."""

    url: str
    received: list[Received] = field(default_factory=list)
    refuse: int | None = None
    logins: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
        if self.refuse is not None:
            return f"{self.refuse} Niet nu"
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"

    def mails_to(self, address: str, subject: str | None = None) -> list[Received]:
        with self.lock:
            return [
                m
                for m in self.received
                if address in m.recipients and (subject is None or m.subject == subject)
            ]

    def wait_for(
        self, address: str, subject: str | None = None, *, count: int = 1, seconds: float = 20
    ) -> list[Received]:
        """Block until ``count`` mails to ``address`` (with ``subject``) arrived (a deadline
        keeps a failure from hanging)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            found = self.mails_to(address, subject)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(f"{count} mail(s) to {address} expected, got {self.mails_to(address)}")


class _Authenticator:
    def __init__(self, sink: Sink, user: str, password: str) -> None:
        self.sink, self.user, self.password = sink, user.encode(), password.encode()

    def __call__(
        self, _server: Any, _session: Any, _envelope: Any, _mechanism: str, data: Any
    ) -> AuthResult:
        ok = (
            isinstance(data, LoginPassword)
            and data.login == self.user
            and data.password == self.password
        )
        if ok:
            self.sink.logins.append(data.login.decode())
        return AuthResult(success=ok, handled=False)


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 made with openssl (cert, key)."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@contextmanager
def smtp_sink(
    *,
    user: str | None = None,
    password: str = "",
    tls: tuple[Path, Path] | None = None,
) -> Iterator[Sink]:
    """An SMTP server on a free local port for as long as the block runs."""
    port = free_port()
    scheme = "smtps" if tls else "smtp"
    credentials = f"{user}:{password}@" if user else ""
    sink = Sink(url=f"{scheme}://{credentials}127.0.0.1:{port}")
    options: dict[str, Any] = {}
    if user:
        # AUTH offered without TLS (a test on 127.0.0.1); the test checks the login happened.
        options.update(authenticator=_Authenticator(sink, user, password), auth_require_tls=False)
    if tls:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(tls[0]), str(tls[1]))
        options["ssl_context"] = context
    controller = Controller(sink, hostname="127.0.0.1", port=port, **options)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()
