"""A real Dovecot IMAP server on 127.0.0.1, started as a child process with a generated configuration.

Users are made up front in a passwd-file (Dovecot does not notice one appended within the same
second), so one server serves a whole test module and each test takes a fresh user (its own INBOX).
Plain IMAP always; with `tls=True` (needs the openssl command) also STARTTLS on the same port and
implicit TLS on a second one, with a self-signed certificate whose file clients pass as their CA.
Mail arrives through a real IMAP APPEND (`deliver`). Debian/Ubuntu package: dovecot-imapd.
"""

from __future__ import annotations

import grp
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from aioimaplib import aioimaplib

from tests.fakes.http_receiver import free_port

SBIN_PATH = f"{os.environ.get('PATH', '')}:/usr/sbin:/sbin:/usr/local/sbin"


def dovecot_binary() -> str | None:
    """Where the dovecot binary is, or None when it is not installed."""
    return shutil.which("dovecot", path=SBIN_PATH)


@dataclass(frozen=True)
class MailUser:
    """A mailbox owner: log in with `name` and `password`."""

    name: str
    password: str


@dataclass
class DovecotServer:
    """A running Dovecot: where it listens, and its users."""

    root: Path
    port: int
    ssl_port: int | None = None
    ca_file: str | None = None
    process: subprocess.Popen[bytes] | None = None
    spare: list[MailUser] = field(default_factory=list)

    def new_user(self) -> MailUser:
        """A user nobody has used yet, with an empty INBOX."""
        if not self.spare:
            raise RuntimeError("all test users are taken: start Dovecot with more")
        return self.spare.pop()

    def account_options(self, user: MailUser, **overrides: object) -> dict[str, object]:
        """The IMAP part of an e-mail account's options for `user` on this server (plain IMAP)."""
        return {"imap_host": "127.0.0.1", "imap_port": self.port, "imap_tls": "none", "imap_user": user.name,
                **overrides}

    def log(self) -> str:
        """The end of Dovecot's log, for failure messages."""
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""


async def deliver(server: DovecotServer, user: MailUser, raw: bytes, mailbox: str = "INBOX") -> None:
    """Put a mail into the user's mailbox with a real IMAP APPEND, as a mail delivery agent would."""
    client = aioimaplib.IMAP4("127.0.0.1", server.port, timeout=10)
    try:
        await client.wait_hello_from_server()
        assert (await client.login(user.name, user.password)).result == "OK"
        response = await client.append(raw, mailbox=mailbox)
        assert response.result == "OK", response
        await client.logout()
    finally:
        if client.protocol.transport is not None:
            client.protocol.transport.close()


async def imap_command(server: DovecotServer, user: MailUser, command: str, *args: str) -> None:
    """Run one simple IMAP command (CREATE, DELETE...) as `user`."""
    client = aioimaplib.IMAP4("127.0.0.1", server.port, timeout=10)
    try:
        await client.wait_hello_from_server()
        assert (await client.login(user.name, user.password)).result == "OK"
        response = await client.protocol.simple_command(command, *args)
        assert response.result == "OK", response
        await client.logout()
    finally:
        if client.protocol.transport is not None:
            client.protocol.transport.close()


@contextmanager
def running_dovecot(*, tls: bool = False, users: int = 40) -> Iterator[DovecotServer]:
    """Start Dovecot with `users` users in a temporary directory; stop it and remove the directory afterwards."""
    binary = dovecot_binary()
    assert binary is not None, "dovecot is not installed"
    root = Path(tempfile.mkdtemp(prefix="otklik-dovecot-"))
    root.chmod(0o755)  # as root, Dovecot's unprivileged processes must reach the passwd-file and mail
    server = DovecotServer(root, free_port())
    try:
        (root / "mail").mkdir()
        os.chown(root / "mail", *_mail_ids())
        server.spare = [MailUser(f"support-{n}@shop.example", secrets.token_urlsafe(12)) for n in range(users)]
        uid, gid = _mail_ids()
        (root / "passwd").write_text("".join(f"{u.name}:{{PLAIN}}{u.password}:{uid}:{gid}::{root / 'mail' / u.name}\n"
                                             for u in server.spare))
        if tls and shutil.which("openssl"):
            server.ssl_port, server.ca_file = free_port(), str(_certificate(root))
        (root / "dovecot.conf").write_text(_config(server))
        server.process = subprocess.Popen([binary, "-F", "-c", str(root / "dovecot.conf")],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _wait_for_greeting(server)
        yield server
    finally:
        _stop(server)
        shutil.rmtree(root, ignore_errors=True)


def _mail_ids() -> tuple[int, int]:
    """Who owns the mail: ourselves, or (as root, which Dovecot refuses for mail) the dovecot user."""
    if os.getuid() != 0:
        return os.getuid(), os.getgid()
    entry = pwd.getpwnam("dovecot")
    return entry.pw_uid, entry.pw_gid


def _config(server: DovecotServer) -> str:
    root = server.root
    as_root = os.getuid() == 0
    me, group = pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name
    ssl = (f"ssl = yes\nssl_cert = <{server.ca_file}\nssl_key = <{root / 'key.pem'}\n" if server.ca_file
           else "ssl = no\n")
    imaps = (f"  inet_listener imaps {{\n    address = 127.0.0.1\n    port = {server.ssl_port}\n    ssl = yes\n  }}\n"
             if server.ssl_port else "  inet_listener imaps {\n    port = 0\n  }\n")
    return (
        f"base_dir = {root}/run\nstate_dir = {root}/state\nlog_path = {root}/dovecot.log\n"
        "protocols = imap\nlisten = 127.0.0.1\n" + ssl +
        "disable_plaintext_auth = no\nauth_mechanisms = plain login\n"
        f"default_login_user = {'dovenull' if as_root else me}\n"
        f"default_internal_user = {'dovecot' if as_root else me}\n"
        f"default_internal_group = {'dovecot' if as_root else group}\n"
        "first_valid_uid = 1\nfirst_valid_gid = 1\n"
        f"mail_location = maildir:{root}/mail/%u\n"
        f"passdb {{\n  driver = passwd-file\n  args = scheme=PLAIN username_format=%u {root}/passwd\n}}\n"
        f"userdb {{\n  driver = passwd-file\n  args = username_format=%u {root}/passwd\n}}\n"
        "service imap-login {\n" + ("" if as_root else "  chroot =\n") +
        f"  inet_listener imap {{\n    address = 127.0.0.1\n    port = {server.port}\n  }}\n" + imaps + "}\n"
        + ("service auth {\n  user = root\n}\n" if as_root else "")
    )


def _certificate(root: Path) -> Path:
    """A self-signed certificate for 127.0.0.1 (clients trust it as their CA file)."""
    cert = root / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(root / "key.pem"), "-out", str(cert)],
        check=True, capture_output=True,
    )
    (root / "key.pem").chmod(0o600)
    return cert


def _wait_for_greeting(server: DovecotServer, seconds: float = 15.0) -> None:
    """Until the IMAP port greets with "* OK" (the login process is up), or fail with Dovecot's log."""
    assert server.process is not None
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            errors = server.process.stderr.read().decode() if server.process.stderr else ""
            raise RuntimeError(f"dovecot exited: {errors}\n{server.log()}")
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=1) as conn:
                if conn.recv(100).startswith(b"* OK"):
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"dovecot did not greet on port {server.port}\n{server.log()}")


def _stop(server: DovecotServer) -> None:
    process = server.process
    if process is None:
        return
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)
    if process.stderr is not None:
        process.stderr.close()
