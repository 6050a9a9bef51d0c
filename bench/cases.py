"""Cases benchmark: import the chain's directory, fill one store with cases, time opening its queue.

1. Writes 16,000 stores and 45,000 users as CSV (`bench/cases_data.py`: ~80 regions, two or three staff
   per store, ~400 specialists in 20 groups, the contact centre), then imports them with the directory
   importer (`hub/directory/importer.py`, the same code as `otklik directory import`) behind a progress
   bar, on a fresh SQLite file, and prints how long that took.
2. Fills store 00001 with 100,000 cases (5 % open, opened within the last four days, the rest solved or
   closed) in bulk through the case store (`create_many`), then runs the SLA scan until it has raised every
   reminder and breach (what the worker does every 30 s), so the open queue has its overdue cases flagged.
3. Signs in as that store's staff and times, interleaved so machine noise hits all alike:
   - `/healthz` (the baseline: the same app, middleware and transport, no work),
   - the case list page `/cases` (the store's open queue: what store staff open all day),
     its second page (keyset cursor), the overdue filter, and one case page,
   - `/cases` signed in as an operator (every store's open cases: no store filter to narrow by),
   - the store query alone (`hub.cases.access.cases_visible_to`, 51 rows: what the page asks the store).
   Over ASGI in this process, then over real HTTP against `otklik serve` on the same file (a separate
   process, so the client's CPU is not the server's).

Run: `.venv/bin/python bench/cases.py [--stores N --users N --cases N --requests N --keep]`.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from asgi_lifespan import LifespanManager
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from the checkout

from api.app import create_app
from api.signin import LOGIN_CSRF_COOKIE
from bench import cases_data
from bench.ingest import (
    clean_env,
    free_port,
    otklik_command,
    percentile,
    start_process,
    stop_process,
    wait_ready,
)
from hub.cases import access, sla
from hub.core import Hub
from hub.directory import users
from hub.directory.importer import import_stores, import_users
from hub.directory.rows import read_rows
from hub.settings import Settings
from hub.stores.cases import CaseQuery
from models.channels import Channel
from models.clock import utcnow
from models.conversations import Conversation
from models.customers import Customer, Identity, IdentityKind
from models.staff import Group, GroupId, GroupKind

PASSWORD = "bench-password-123"
OPERATOR = "operator0"  # a contact-centre operator: sees every store's cases
SECRET = "bench-secret-key-0123456789"
FILL_CHUNK = 5000
Timed = Callable[[], Awaitable[Any]]


def bar() -> Progress:
    """The progress bar the import and the fill show."""
    return Progress(TextColumn("{task.description:<8}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())


def settings_for(folder: Path) -> Settings:
    """A fresh install in `folder`: SQLite, in-process bus, no demo context, no bot."""
    return Settings(_env_file=None, secret_key=SECRET, sqlite_path=str(folder / "otklik.sqlite3"),
                    bus_journal_path="", nlu_model_dir=str(folder / "nlu"), context_provider="none",
                    dialogs_dir="", case_files_dir=str(folder / "files"), log_json=False, log_level="WARNING")


async def import_directory(hub: Hub, data: cases_data.Generated) -> float:
    """The specialist and contact-centre groups, then the stores and users CSV; seconds the import took."""
    groups = [Group(id=GroupId(g), name=g, kind=GroupKind.SPECIALIST) for g in cases_data.SPECIALIST_GROUPS]
    groups += [Group(id=GroupId("cc-main"), name="Contact centre", kind=GroupKind.CONTACT_CENTRE),
               Group(id=GroupId("supervisors"), name="Supervisors", kind=GroupKind.SUPERVISORS)]
    await hub.stores.directory.upsert_groups(groups)
    started = time.perf_counter()
    with bar() as progress:
        task = progress.add_task("stores", total=data.stores)
        report = await import_stores(hub, read_rows(data.stores_csv), lambda n: progress.advance(task, n),
                                     source=data.stores_csv.name)
        assert not report.errors, report.errors[:5]
        task = progress.add_task("users", total=data.users)
        report = await import_users(hub, read_rows(data.users_csv), lambda n: progress.advance(task, n),
                                    source=data.users_csv.name)
        assert not report.errors, report.errors[:5]
    seconds = time.perf_counter() - started
    counts = await hub.stores.directory.count_stores(), await hub.stores.directory.count_users()
    print(f"import: {counts[0]} stores, {counts[1]} users in {seconds:.1f} s "
          f"({(counts[0] + counts[1]) / seconds:,.0f} rows/s)")
    return seconds


async def fill_store(hub: Hub, store_id: str, count: int, open_share: float) -> Conversation:
    """`count` cases in the store, in bulk; the conversation they were opened from."""
    customer = Customer(name="Bench Shopper", identities=[Identity(kind=IdentityKind.API, value="bench:1")])
    await hub.stores.customers.create(customer)
    conversation = Conversation.open(customer.id, Channel.API, "bench", at=utcnow())
    await hub.stores.conversations.create(conversation)
    cases = cases_data.store_cases(store_id, count, conversation=conversation, open_share=open_share,
                                   start_number=1, rng=random.Random(6), now=utcnow())
    started = time.perf_counter()
    with bar() as progress:
        task = progress.add_task("cases", total=count)
        while chunk := [case for _, case in zip(range(FILL_CHUNK), cases, strict=False)]:
            await hub.stores.cases.create_many(chunk)
            progress.advance(task, len(chunk))
    print(f"fill: {count:,} cases in store {store_id} in {time.perf_counter() - started:.1f} s")
    return conversation


async def settle_sla(hub: Hub) -> None:
    """Run the SLA scan until every open case's reminders and breaches are raised (the steady state the
    worker keeps), so the measurement is not sharing the machine with a backlog of escalations."""
    started, advanced = time.perf_counter(), 0
    while (done := await sla.scan(hub, utcnow())) > 0:
        advanced += done
    breached = await hub.stores.cases.count(CaseQuery(open_only=True, breached=True))
    print(f"sla: {advanced:,} deadlines checked in {time.perf_counter() - started:.1f} s,"
          f" {breached:,} open cases overdue")


async def sign_in(client: httpx.AsyncClient, login: str) -> None:
    """Through the login form, as a browser does."""
    assert (await client.get("/login")).status_code == 200
    token = client.cookies.get(LOGIN_CSRF_COOKIE, path="/login")
    response = await client.post("/login", data={"login": login, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 303, response.text[:300]


async def measure(named: dict[str, Timed], requests: int) -> dict[str, list[float]]:
    """Run each timed call `requests` times, round-robin; milliseconds per call."""
    samples: dict[str, list[float]] = {name: [] for name in named}
    for call in named.values():  # warm-up: templates compiled, caches filled
        await call()
    for _ in range(requests):
        for name, call in named.items():
            started = time.perf_counter()
            await call()
            samples[name].append((time.perf_counter() - started) * 1000)
    return samples


def page_calls(client: httpx.AsyncClient, operator: httpx.AsyncClient, case_id: str,
               second_page: str) -> dict[str, Timed]:
    """The HTTP calls timed: baseline, the store's queue, its next page, the overdue filter, a case page, and
    the list an operator sees (every store's open cases)."""

    def call(browser: httpx.AsyncClient, path: str) -> Timed:
        async def get() -> None:
            response = await browser.get(path)
            assert response.status_code == 200, (path, response.status_code, response.text[:300])

        return get

    return {"GET /healthz (baseline)": call(client, "/healthz"), "GET /cases (store queue)": call(client, "/cases"),
            "GET /cases next page": call(client, second_page), "GET /cases?overdue=1": call(client, "/cases?overdue=1"),
            "GET /cases/{id} (case page)": call(client, f"/cases/{case_id}"),
            "GET /cases as operator (all stores)": call(operator, "/cases")}


def report(title: str, samples: dict[str, list[float]]) -> None:
    """p50 / p99 per call, and the ratio to the baseline."""
    base = percentile(next(iter(samples.values())), 50)
    print(f"\n{title} ({len(next(iter(samples.values())))} requests each)")
    print(f"  {'':34} {'p50 ms':>8} {'p99 ms':>8} {'p50 / baseline':>15}")
    for name, values in samples.items():
        print(f"  {name:34} {percentile(values, 50):8.2f} {percentile(values, 99):8.2f} "
              f"{percentile(values, 50) / base:15.1f}")


async def second_page_of(client: httpx.AsyncClient) -> str:
    """The queue's 'next page' link."""
    text = (await client.get("/cases")).text
    start = text.index('class="more"><a href="') + len('class="more"><a href="')
    return text[start:text.index('"', start)].replace("&amp;", "&")


async def in_process(settings: Settings, data: cases_data.Generated, args: argparse.Namespace) -> None:
    """Import, fill and measure over ASGI."""
    app = create_app(settings)
    async with LifespanManager(app, startup_timeout=60, shutdown_timeout=60) as manager:
        hub: Hub = app.state.hub
        await import_directory(hub, data)
        for login in (staff_login(data), OPERATOR):
            found = await hub.stores.directory.user_by_login(login)
            assert found is not None, login
            await users.set_password(hub.stores.directory, found.id, PASSWORD)
        await fill_store(hub, data.first_store, args.cases, args.open_share)
        await settle_sla(hub)
        staff = await hub.stores.directory.user_by_login(staff_login(data))
        assert staff is not None
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench.test") as client, \
                httpx.AsyncClient(transport=transport, base_url="http://bench.test") as operator:
            await sign_in(client, staff.login)
            await sign_in(operator, OPERATOR)
            first = (await access.cases_visible_to(hub, staff, CaseQuery(open_only=True), limit=1))[0]
            calls = page_calls(client, operator, first.id, await second_page_of(client))

            async def query() -> None:
                found = await access.cases_visible_to(hub, staff, CaseQuery(open_only=True), limit=51)
                assert len(found) == 51

            calls["store query alone (51 open cases)"] = query
            report("over ASGI, in process", await measure(calls, args.requests))


def staff_login(data: cases_data.Generated) -> str:
    """The login of the first staff member of the filled store."""
    return f"store{data.first_store}-0"


async def over_http(folder: Path, login: str, requests: int) -> None:
    """The same pages from `otklik serve` on the same file, over TCP."""
    port = free_port()
    env = {**clean_env(), "OTKLIK_SECRET_KEY": SECRET, "OTKLIK_SQLITE_PATH": str(folder / "otklik.sqlite3"),
           "OTKLIK_BUS_JOURNAL_PATH": "", "OTKLIK_CONTEXT_PROVIDER": "none", "OTKLIK_DIALOGS_DIR": "",
           "OTKLIK_NLU_MODEL_DIR": str(folder / "nlu"), "OTKLIK_PORT": str(port), "OTKLIK_LOG_LEVEL": "WARNING"}
    proc = start_process("serve", [*otklik_command(), "serve"], env, folder)
    try:
        base = f"http://127.0.0.1:{port}"
        await wait_ready(base, proc)
        async with httpx.AsyncClient(base_url=base, timeout=30) as client, \
                httpx.AsyncClient(base_url=base, timeout=30) as operator:
            await sign_in(client, login)
            await sign_in(operator, OPERATOR)
            first = (await client.get("/cases")).text.split('<a href="/cases/', 1)[1].split('"', 1)[0]
            calls = page_calls(client, operator, first, await second_page_of(client))
            report("over HTTP, `otklik serve` in its own process", await measure(calls, requests))
    finally:
        await stop_process(proc)


async def main() -> None:
    """Parse arguments, run every step, clean up."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stores", type=int, default=16_000)
    parser.add_argument("--users", type=int, default=45_000)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--open-share", type=float, default=0.05)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--no-http", action="store_true", help="skip the `otklik serve` round")
    parser.add_argument("--keep", action="store_true", help="keep the temp dir (CSV, database, server log)")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="otklik-bench-cases-"))
    try:
        data = cases_data.generate(folder, stores=args.stores, users=args.users)
        print(f"data: {data.stores:,} stores, {data.users:,} users as CSV in {folder}")
        await in_process(settings_for(folder), data, args)
        if not args.no_http:
            await over_http(folder, staff_login(data), args.requests)
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
