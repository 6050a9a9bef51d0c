"""bench/day.py and bench/scaleout.py in small slices: the real processes, the bot, operators signing in and
answering through the inbox, CRM webhooks; and `otklik serve` with 1 and 2 workers on Redis Streams.

The verdicts about speed are the benches' business on a quiet machine; here every turn must be answered,
every webhook arrive once, the bus drain, and every message of the scale-out get its replies.
"""

from __future__ import annotations

import re

import pytest

from bench import day, scaleout

pytestmark = pytest.mark.redis


async def test_a_slice_of_the_evening_peak_answers_every_turn_and_drains(capsys: pytest.CaptureFixture[str]) -> None:
    args = day.parse_args(["--from-hour", "19", "--hours", "0.02", "--operators", "2", "--lag-bound", "60"])
    await day.main_async(args)
    printed = capsys.readouterr().out
    turns = re.search(r"turns (\d+), answered (\d+); POST errors 0", printed)
    assert turns is not None and int(turns[1]) > 50 and turns[1] == turns[2], printed
    assert "0 duplicate webhook-ids" in printed, printed
    assert "conversation.handed_over" in printed and "case.opened" in printed, printed
    assert "at the end: {}" in printed, printed  # the in-process bus's journal is empty: nothing left queued
    assert "page errors 0" in printed, printed


async def test_the_scale_out_answers_every_message_with_one_and_two_workers(
        capsys: pytest.CaptureFixture[str]) -> None:
    args = scaleout.parse_args(["--stores", "sqlite", "--workers", "1,2", "--messages", "30", "--warmup", "4",
                                "--idle", "1"])
    code = await scaleout.main_async(args)
    printed = capsys.readouterr().out
    assert code == 0, printed
    assert printed.count("30/30 handled") == 2, printed
