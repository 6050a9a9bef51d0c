"""bench/faults.py's small profile in the suite: two `otklik worker` processes and `otklik serve` on SQLite and
Redis, shoppers writing through the api channel (some messages twice), two workers killed with SIGKILL, the
bus cut for 2 s, the SQLite file's write lock held by another process for 3 s, a callback endpoint refusing
30 % of sends, and a webhook subscription whose CRM receiver answers 503 for 6 s played as an hour. Nothing
lost, doubled or out of order per shopper; nothing dead-lettered or left pending; every webhook delivery
accepted by the CRM exactly once after it came back.
"""

from __future__ import annotations

import re

import pytest

from bench import faults

pytestmark = pytest.mark.redis


async def test_the_small_fault_campaign_loses_doubles_and_reorders_nothing(
        capsys: pytest.CaptureFixture[str]) -> None:
    code = await faults.main_async(faults.parse_args(["--small", "--workers", "2"]))
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert "lost=0 duplicated=0 out_of_order_users=0" in printed
    assert "2 x kill -9, 1 bus cut(s) of 2s, 1 store outage(s) of 3s" in printed
    assert "crm_lost=0 crm_duplicated=0 crm_resent=0" in printed
    assert "crm_undelivered=0" in printed
    refused = re.search(r"refused (\d+) attempts", printed)  # the CRM's line, not the callback's
    assert refused is not None and int(refused[1]) > 0, printed  # really down while deliveries were tried
