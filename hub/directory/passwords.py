"""Password hashing with argon2id (argon2-cffi): hash, verify, rehash when the parameters change.

An unknown login still costs one full verification (against a fixed dummy hash), so the time a failed
sign-in takes does not tell whether the login exists.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 8
MAX_LENGTH = 1024  # argon2 would take longer inputs; nobody types them and they only cost CPU


def default_hasher() -> PasswordHasher:
    """argon2id with OWASP's first recommended profile (19 MiB, 2 passes, 1 lane).

    argon2-cffi's own default (64 MiB, 3 passes, 4 lanes) costs about half a second per sign-in on a busy
    2-core machine: 500 operators starting a shift would queue for minutes, and anyone could keep the CPU
    busy with wrong passwords. This profile takes tens of milliseconds. Stored hashes carry their
    parameters, so changing them later only triggers a rehash at each user's next sign-in.
    """
    return PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


@dataclass
class Passwords:
    """One hasher's parameters and the dummy hash that evens out the time of failures."""

    hasher: PasswordHasher = field(default_factory=default_hasher)
    _dummy: str | None = None

    def hash(self, password: str) -> str:
        """The argon2id hash to store; ValueError for a password that is too short or long."""
        check_strength(password)
        return self.hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> tuple[bool, str | None]:
        """Whether `password` matches `stored` (None: no user or no password, still costs the same work),
        and a fresh hash to store when the stored one used other parameters."""
        if stored is None or len(password) > MAX_LENGTH:
            self._verify_dummy(password[:MAX_LENGTH])
            return False, None
        try:
            self.hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False, None
        return True, (self.hasher.hash(password) if self.hasher.check_needs_rehash(stored) else None)

    def _verify_dummy(self, password: str) -> None:
        if self._dummy is None:
            self._dummy = self.hasher.hash("otklik-dummy-password")
        with suppress(VerificationError):
            self.hasher.verify(self._dummy, password)


def check_strength(password: str) -> None:
    """ValueError unless the password is of sensible length and not blank."""
    if len(password) < MIN_LENGTH:
        raise ValueError(f"password must have at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise ValueError(f"password must have at most {MAX_LENGTH} characters")
    if not password.strip():
        raise ValueError("password must not be blank")


DEFAULT = Passwords()


def hash_password(password: str) -> str:
    """The argon2id hash of `password` with the default parameters."""
    return DEFAULT.hash(password)


def verify_password(stored: str | None, password: str) -> tuple[bool, str | None]:
    """`Passwords.verify` with the default parameters."""
    return DEFAULT.verify(stored, password)
