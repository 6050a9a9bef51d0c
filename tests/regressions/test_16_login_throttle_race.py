"""Issue 16, finding 2: 100 concurrent wrong passwords were all tried (the limit is 5), because the count
was checked before the argon2 hash and written after it; one NAT address stayed locked for the whole
window; and `otklik serve` believed X-Forwarded-For from 127.0.0.1."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from typer.testing import CliRunner

from api import cli
from hub.directory import users
from hub.directory.passwords import Passwords
from hub.stores.base import Stores
from hub.stores.sqlite.stores import SqliteStores
from models.errors import RateLimited

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WINDOW = timedelta(minutes=15)


@dataclass
class CountingPasswords(Passwords):
    """The real (fast) hasher, counting how many guesses reached it."""

    tried: int = 0

    def verify(self, stored: str | None, password: str) -> tuple[bool, str | None]:
        """Count, then verify."""
        self.tried += 1
        return super().verify(stored, password)


def counting() -> CountingPasswords:
    return CountingPasswords(PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1))


@pytest.fixture
async def stores(tmp_path: Path) -> Any:
    opened = SqliteStores(str(tmp_path / "otklik.sqlite3"))
    await opened.open()
    yield opened
    await opened.close()


async def guess(stores: Stores, passwords: Passwords, login: str, address: str, at: datetime) -> str:
    try:
        await users.authenticate(stores.directory, login, "wrong-password", address=address, max_failures=5,
                                 window=WINDOW, passwords=passwords, now=at)
    except RateLimited:
        return "limited"
    except users.SignInFailed:
        return "failed"
    return "signed in"


async def test_parallel_wrong_passwords_are_not_all_tried(stores: Stores) -> None:
    await users.create_user(stores.directory, login="supervisor", name="S", password="correct-horse-battery")
    passwords = counting()
    outcomes = await asyncio.gather(*(guess(stores, passwords, "supervisor", "203.0.113.7", T0) for _ in range(100)))
    assert passwords.tried == 5
    assert outcomes.count("failed") == 5 and outcomes.count("limited") == 95


async def test_the_account_stays_locked_but_an_address_recovers_within_seconds(stores: Stores) -> None:
    passwords = counting()
    for n in range(50):  # ten people behind one NAT mistype: the address budget (50) is used up
        assert await guess(stores, passwords, f"clerk{n // 5}", "198.51.100.1", T0) == "failed"
    assert await guess(stores, passwords, "newcomer", "198.51.100.1", T0) == "limited"
    # Not locked for 15 minutes: the budget refills one try every 18 seconds.
    assert await guess(stores, passwords, "newcomer", "198.51.100.1", T0 + timedelta(seconds=18)) == "failed"
    # ...while clerk0, who failed five times, stays locked for the window.
    assert await guess(stores, passwords, "clerk0", "198.51.100.1", T0 + timedelta(minutes=5)) == "limited"
    assert await guess(stores, passwords, "clerk0", "198.51.100.1", T0 + WINDOW) == "failed"


def test_serve_trusts_forwarded_addresses_only_from_configured_proxies(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
) -> None:
    started: list[dict[str, Any]] = []
    monkeypatch.setattr(cli.uvicorn, "run", lambda app, **options: started.append(options))
    env = {"OTKLIK_SECRET_KEY": "test-secret-key-0123456789", "OTKLIK_SQLITE_PATH": str(tmp_path / "o.sqlite3"),
           "OTKLIK_BUS_JOURNAL_PATH": "", "OTKLIK_TRUSTED_PROXIES": ""}
    runner = CliRunner()
    assert runner.invoke(cli.app, ["serve", "--skip-checks"], env=env).exit_code == 0
    assert started[-1]["proxy_headers"] is False  # uvicorn's own default trusts X-Forwarded-For from 127.0.0.1
    env["OTKLIK_TRUSTED_PROXIES"] = "10.0.0.5, 10.1.0.0/16"
    assert runner.invoke(cli.app, ["serve", "--skip-checks"], env=env).exit_code == 0
    assert started[-1]["proxy_headers"] is True and started[-1]["forwarded_allow_ips"] == "10.0.0.5,10.1.0.0/16"
    env["OTKLIK_TRUSTED_PROXIES"] = "proxy.local"
    refused = runner.invoke(cli.app, ["serve", "--skip-checks"], env=env)
    assert refused.exit_code != 0 and "TRUSTED_PROXIES" in refused.output.upper()
