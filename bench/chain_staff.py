"""The chain's staff for the benches that run the bot and the inbox: the demo groups and people
(api/demo/staff.py: every group the shipped routing and case catalogue name, so `otklik serve` passes its
checks) plus `--operators` more operators in the contact-centre lines, all with one password.

Run as its own process with the servers' environment, so it opens exactly the store they will
(`OTKLIK_STORE`, `OTKLIK_SQLITE_PATH` / `MONGODB_URL`) and migrates it before they start:

    OTKLIK_...=... python -m bench.chain_staff --password PW --operators 40
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from api.demo.staff import _LINES, seed_people
from api.wiring import running_hub
from hub.directory import create_user
from hub.settings import Settings
from models.staff import GroupId, Role, UserId

LINES = list(_LINES)


def operator_login(n: int) -> str:
    """The login of the bench's n-th operator (0-based)."""
    return f"benchop{n:03d}"


async def seed(password: str, operators: int, capacity: int) -> None:
    """Demo groups and people, then the bench operators (each in every contact-centre line)."""
    async with running_hub(Settings()) as hub:  # required fields come from the environment
        directory = hub.stores.directory
        await seed_people(directory, password)
        for n in range(operators):
            login = operator_login(n)
            if await directory.user_by_login(login) is None:
                await create_user(directory, login=login, name=f"Оператор {n}", password=password,
                                  roles=frozenset({Role.OPERATOR}), groups=[GroupId(g) for g in LINES],
                                  id=UserId(login), capacity=capacity)


def staff_command(password: str, operators: int = 0, capacity: int = 5) -> list[str]:
    """The command line that seeds the staff (run it with the servers' environment)."""
    return [sys.executable, str(Path(__file__).resolve()), "--password", password, "--operators", str(operators),
            "--capacity", str(capacity)]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--password", required=True)
    parser.add_argument("--operators", type=int, default=0)
    parser.add_argument("--capacity", type=int, default=5, help="conversations an operator holds at once")
    args = parser.parse_args()
    asyncio.run(seed(args.password, args.operators, args.capacity))
