"""Reports benchmark: one million conversations over 90 days into the rollups, then every report page timed.

1. Generates 1,000,000 conversation facts and 100,000 case facts over 90 days (16,000 stores in 80 regions,
   500 operators; `bench/reports_data.py`) and loads them into the SQLite report store the way a backfill
   does (`ReportStore.load`: facts plus their rollup rows), behind a progress bar; prints the time and the
   rollup sizes.
2. Starts the app on that file and times, interleaved so machine noise hits all alike, over ASGI:
   `/healthz` (the baseline: same app, middleware and transport, no work), the supervisor's day, the
   management dashboard over 30 and 90 days, every report over 30 days, filtered variants (a region, a
   topic and channel, one store's page as its staff see it), a drill-down and the JSON API.
   Prints p50 / p99 per page and p50 as a ratio to /healthz. Target: every p99 < 300 ms.

Run: `.venv/bin/python bench/reports.py [--conversations N --cases N --stores N --requests N --keep]`.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time
from datetime import date, timedelta
from itertools import islice
from pathlib import Path

import httpx
from asgi_lifespan import LifespanManager

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from the checkout

from api.app import create_app
from bench import reports_data
from bench.cases import PASSWORD, Timed, bar, settings_for, sign_in
from bench.ingest import percentile
from hub.directory import tokens, users
from hub.settings import Settings
from hub.stores.sqlite.reports import SqliteReportStore, reports_path
from models.clock import local_date, utcnow
from models.report_cube import CONVERSATIONS
from models.staff import Role
from models.tokens import Scope

CHUNK = 20_000


async def load(settings: Settings, args: argparse.Namespace, end: date) -> None:
    """Facts and rollups into the report store, as a backfill writes them."""
    store = SqliteReportStore(reports_path(settings.sqlite_path))
    await store.open()
    try:
        started = time.perf_counter()
        with bar() as progress:
            task = progress.add_task("facts", total=args.conversations + args.cases)
            generated = reports_data.conversations(args.conversations, stores=args.stores, end=end)
            while chunk := list(islice(generated, CHUNK)):
                await store.load(chunk, [])
                progress.advance(task, len(chunk))
            case_facts = reports_data.cases(args.cases, stores=args.stores, end=end)
            while case_chunk := list(islice(case_facts, CHUNK)):
                await store.load([], case_chunk)
                progress.advance(task, len(case_chunk))
        seconds = time.perf_counter() - started
        grains = await store.db.rows(
            "SELECT grain, COUNT(*) FROM report_conversations_rollups GROUP BY grain ORDER BY grain")
        print(f"load: {await store.count_facts(CONVERSATIONS):,} conversations + {args.cases:,} cases in "
              f"{seconds:.0f} s; rollup rows per grain: " + ", ".join(f"{g}={n:,}" for g, n in grains))
    finally:
        await store.close()


async def last_day(settings: Settings) -> date:
    """The newest day a kept report store has facts of."""
    store = SqliteReportStore(reports_path(settings.sqlite_path))
    await store.open()
    try:
        return date.fromisoformat(str(await store.db.one("SELECT MAX(day) FROM report_conversations")))
    finally:
        await store.close()


def calls(boss: httpx.AsyncClient, staff: httpx.AsyncClient, api: dict[str, str], end: date) -> dict[str, Timed]:
    """The pages timed, the baseline first."""
    month = f"start={end - timedelta(days=29)}&end={end}"
    quarter = f"start={end - timedelta(days=89)}&end={end}"

    def get(client: httpx.AsyncClient, path: str, headers: dict[str, str] | None = None) -> Timed:
        async def call() -> None:
            response = await client.get(path, headers=headers)
            assert response.status_code == 200, (path, response.status_code, response.text[:300])

        return call

    named = {"GET /healthz (baseline)": get(boss, "/healthz"),
             "supervisor: today, live": get(boss, f"/reports/supervisor?start={end}&end={end}"),
             "management, 30 days": get(boss, f"/reports/management?{month}"),
             "management, 90 days": get(boss, f"/reports/management?{quarter}")}
    for name in ("volume", "sla", "containment", "nlu", "repeats", "csat", "operators", "cases", "voice"):
        named[f"{name}, 30 days"] = get(boss, f"/reports/{name}?{month}")
    named["volume, one region"] = get(boss, f"/reports/volume?{month}&region=R07")
    named["sla, topic + channel"] = get(boss, f"/reports/sla?{month}&topic=delivery_problem&channel=whatsapp")
    named["store page (store staff)"] = get(staff, f"/reports/store?{quarter}")
    named["drill-down, low CSAT"] = get(boss, f"/reports/drill?{month}&condition=csat_low&region=R07")
    named["API volume, 90 days (JSON)"] = get(boss, f"/api/v1/reports/volume?{quarter}", api)
    return named


Samples = dict[str, tuple[list[float], list[float]]]  # name -> (wall ms, cpu ms) per request


async def measure(named: dict[str, Timed], requests: int) -> Samples:
    """Each call `requests` times, round-robin after a warm-up; wall and process CPU milliseconds per call.

    The machine is shared (2 cores, several agents): wall time includes waiting for a core, CPU time is the
    work this process did for the request (client and app alike, both in this process)."""
    samples: Samples = {name: ([], []) for name in named}
    for call in named.values():
        await call()
    for _ in range(requests):
        for name, call in named.items():
            wall, cpu = time.perf_counter(), time.process_time()
            await call()
            samples[name][0].append((time.perf_counter() - wall) * 1000)
            samples[name][1].append((time.process_time() - cpu) * 1000)
    return samples


def report(title: str, samples: Samples) -> None:
    """Wall and CPU p50 / p99 per page, and the ratios of the p50s to /healthz."""
    base_wall, base_cpu = (percentile(v, 50) for v in next(iter(samples.values())))
    print(f"\n{title} ({len(next(iter(samples.values()))[0])} requests each)")
    heads = ("wall p50", "wall p99", "cpu p50", "cpu p99", "wall/healthz", "cpu/healthz")
    print(f"  {'':30} " + " ".join(f"{h:>{w}}" for h, w in zip(heads, (9, 9, 8, 8, 13, 12), strict=True)))
    for name, (wall, cpu) in samples.items():
        print(f"  {name:30} {percentile(wall, 50):9.1f} {percentile(wall, 99):9.1f} {percentile(cpu, 50):8.1f}"
              f" {percentile(cpu, 99):8.1f} {percentile(wall, 50) / base_wall:13.1f}"
              f" {percentile(cpu, 50) / max(base_cpu, 0.001):12.1f}")


async def measure_pages(settings: Settings, args: argparse.Namespace, end: date) -> Samples:
    """Sign in and time every page."""
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60) as manager:
        hub = app.state.hub
        for login, roles, store in (("boss", [Role.SUPERVISOR], None), ("shop", [Role.STORE_STAFF], "00042")):
            if await hub.stores.directory.user_by_login(login) is not None:
                continue  # a reused directory has them
            await users.create_user(hub.stores.directory, login=login, name=login, password=PASSWORD,
                                    roles=frozenset(roles), groups=[], store_id=store)
        _, token = await tokens.issue(hub.stores.tokens, "bi", [Scope.REPORTS_READ])
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench.test", timeout=60) as boss, \
                httpx.AsyncClient(transport=transport, base_url="http://bench.test", timeout=60) as staff:
            await sign_in(boss, "boss")
            await sign_in(staff, "shop")
            return await measure(calls(boss, staff, {"authorization": f"Bearer {token}"}, end), args.requests)


async def main() -> None:
    """Parse arguments, load, measure, clean up."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--conversations", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--stores", type=int, default=16_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (the databases)")
    parser.add_argument("--reuse", type=Path, help="measure again on a kept dir (its data ends on its last day)")
    args = parser.parse_args()
    folder = args.reuse or Path(tempfile.mkdtemp(prefix="otklik-bench-reports-"))
    settings = settings_for(folder)
    end = local_date(utcnow(), settings.timezone)
    try:
        if args.reuse:
            end = await last_day(settings)
        else:
            await load(settings, args, end)
        samples = await measure_pages(settings, args, end)
        report("report pages over ASGI, in process", samples)
        for kind, n in (("wall", 0), ("cpu", 1)):
            worst = max((percentile(v[n], 99), k) for k, v in samples.items())
            verdict = "met" if worst[0] < 300 else "MISSED"
            print(f"slowest {kind} p99: {worst[0]:.1f} ms ({worst[1]}); target < 300 ms: {verdict}")
        print(f"load average during the run: {' '.join(f'{x:.1f}' for x in os.getloadavg())} (2 cores)")
    finally:
        if args.keep or args.reuse:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
