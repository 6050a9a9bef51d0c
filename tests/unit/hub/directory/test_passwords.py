"""Password hashing: argon2id, verification, rehash on new parameters, even work for unknown users."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher

from hub.directory.passwords import DEFAULT, Passwords, check_strength

FAST = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1)


def test_hash_is_argon2id_and_verifies() -> None:
    passwords = Passwords(FAST)
    stored = passwords.hash("correct horse battery")
    assert stored.startswith("$argon2id$")
    assert "correct horse" not in stored
    assert passwords.verify(stored, "correct horse battery") == (True, None)


def test_wrong_password_fails() -> None:
    passwords = Passwords(FAST)
    stored = passwords.hash("correct horse battery")
    assert passwords.verify(stored, "correct horse batterY") == (False, None)


def test_no_stored_hash_fails_after_doing_the_same_work() -> None:
    passwords = Passwords(FAST)
    assert passwords.verify(None, "anything at all") == (False, None)
    assert passwords._dummy is not None and passwords._dummy.startswith("$argon2id$")


def test_garbage_hash_fails_instead_of_raising() -> None:
    assert Passwords(FAST).verify("not-a-hash", "whatever-long") == (False, None)


def test_changed_parameters_ask_for_a_rehash_that_verifies() -> None:
    old = Passwords(FAST).hash("correct horse battery")
    stronger = Passwords(PasswordHasher(time_cost=2, memory_cost=16384, parallelism=1))
    ok, rehashed = stronger.verify(old, "correct horse battery")
    assert ok and rehashed is not None and "m=16384,t=2" in rehashed
    assert stronger.verify(rehashed, "correct horse battery") == (True, None)


@pytest.mark.parametrize("weak", ["short", "        ", "x" * 1025])
def test_weak_passwords_are_refused(weak: str) -> None:
    with pytest.raises(ValueError):
        check_strength(weak)


def test_the_default_profile_is_owasp_argon2id_and_upgrades_older_hashes() -> None:
    stored = DEFAULT.hash("correct horse battery")
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    library_default = PasswordHasher().hash("correct horse battery")  # 64 MiB, 3 passes, 4 lanes
    ok, rehashed = DEFAULT.verify(library_default, "correct horse battery")
    assert ok and rehashed is not None and "m=19456,t=2,p=1" in rehashed
