"""bench/faults.py's small profile in the suite: two `otklik worker` processes and `otklik serve` on SQLite and
Redis, shoppers writing through the api channel (some messages twice), two workers killed with SIGKILL, the
bus cut for 2 s, a callback endpoint refusing 30 % of sends. Nothing lost, doubled or out of order per shopper;
nothing dead-lettered or left pending.
"""

from __future__ import annotations

import pytest

from bench import faults

pytestmark = pytest.mark.redis


async def test_the_small_fault_campaign_loses_doubles_and_reorders_nothing(
        capsys: pytest.CaptureFixture[str]) -> None:
    code = await faults.main_async(faults.parse_args(["--small", "--workers", "2"]))
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "lost=0 duplicated=0 out_of_order_users=0" in printed
    assert "2 x kill -9, 1 bus cut(s)" in printed
