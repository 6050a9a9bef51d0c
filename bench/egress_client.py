"""CPU per outbound POST of the guarded egress client (api-channel callbacks, webhooks): before and after.

Before: httpx over `GuardedTransport` (hub/egress.py at `--before`, read with `git show`, default the last commit
that had it). After: today's `hub.egress.guarded_client` (aiohttp with the checking resolver). Both POST the
same signed JSON callback (an api-channel reply, ~400 bytes, the sender's three headers) to a receiver in
another process on 127.0.0.1 (allowed by the policy, as OTKLIK_OUTBOUND_ALLOW would), one request at a time and
`--concurrency` at once, in alternating rounds. CPU is this thread's utime+stime (the event loop's; the
receiver's CPU is not counted). Compare the ratio: other load on the machine moves both alike.

    .venv/bin/python bench/egress_client.py [--requests 3000] [--rounds 3] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from connectors.api import sign  # noqa: E402
from hub.egress import guarded_client  # noqa: E402
from models.egress import EgressPolicy  # noqa: E402
from tests.fakes.serving import free_port  # noqa: E402

BEFORE = "ae8bdae"  # main before the aiohttp client: hub/egress.py still built httpx over GuardedTransport
RECEIVER = """
import sys
from aiohttp import web
async def ok(request):
    await request.read()
    return web.json_response({"ok": True})
app = web.Application()
app.router.add_post("/{tail:.*}", ok)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""
Post = Callable[[], Awaitable[None]]


def thread_cpu() -> float:
    """utime+stime of this thread, seconds."""
    usage = resource.getrusage(resource.RUSAGE_THREAD)
    return usage.ru_utime + usage.ru_stime


def load_before(rev: str) -> ModuleType:
    """hub/egress.py as it was at `rev`, as a module of its own."""
    source = subprocess.run(["git", "show", f"{rev}:hub/egress.py"], cwd=ROOT, capture_output=True, text=True,
                            check=True).stdout
    path = Path(tempfile.mkdtemp(prefix="egress-before-")) / "egress_before.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("egress_before", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["egress_before"] = module
    spec.loader.exec_module(module)
    return module


def callback() -> tuple[bytes, dict[str, str]]:
    """A reply as ApiCallbackSender sends it: body and headers."""
    body = json.dumps({"type": "message", "message_id": "m" * 32, "conversation_id": "c" * 32, "user_id": "u-17",
                       "author": "bot", "text": "Здравствуйте! Заказ 123456 передан в доставку, курьер позвонит "
                       "за час до приезда.", "reply_to": "client-msg-42", "buttons": [], "attachments": []},
                      ensure_ascii=False).encode()
    headers = {"content-type": "application/json", "idempotency-key": "out:" + "k" * 32,
               "x-otklik-signature": sign(body, "t" * 32)}
    return body, headers


async def measure(post: Post, requests: int, concurrency: int) -> tuple[float, float]:
    """(CPU µs per POST, POSTs per wall second) for `requests` POSTs, `concurrency` at once."""
    async def lane(n: int) -> None:
        for _ in range(n):
            await post()

    await asyncio.gather(*(lane(50) for _ in range(concurrency)))  # warm the pool
    cpu, wall = thread_cpu(), time.perf_counter()
    await asyncio.gather(*(lane(requests // concurrency) for _ in range(concurrency)))
    done = requests // concurrency * concurrency
    return (thread_cpu() - cpu) / done * 1e6, done / (time.perf_counter() - wall)


async def run(args: argparse.Namespace, url: str) -> dict[str, dict[int, list[tuple[float, float]]]]:
    """Alternating rounds of both clients; results[client][concurrency] = [(µs, rps) per round]."""
    before = load_before(args.before)
    policy = EgressPolicy(allow=("127.0.0.1",))
    body, headers = callback()
    results: dict[str, dict[int, list[tuple[float, float]]]] = {"httpx (before)": {}, "aiohttp (after)": {}}
    for _ in range(args.rounds):
        async with before.guarded_client(policy, timeout=10.0) as old:
            async def post_old() -> None:
                response = await old.post(url, content=body, headers=headers)
                response.text  # noqa: B018 - the old sender read it on every answer
            for c in (1, args.concurrency):
                results["httpx (before)"].setdefault(c, []).append(await measure(post_old, args.requests, c))
        async with guarded_client(policy, timeout=10.0) as new:
            async def post_new() -> None:
                await new.post(url, body, headers)
            for c in (1, args.concurrency):
                results["aiohttp (after)"].setdefault(c, []).append(await measure(post_new, args.requests, c))
    return results


def report(results: dict[str, dict[int, list[tuple[float, float]]]]) -> None:
    """Medians per client and concurrency, and the after/before ratio."""
    medians: dict[tuple[str, int], tuple[float, float]] = {}
    for client, by_c in results.items():
        for c, rounds in by_c.items():
            cpu = statistics.median(r[0] for r in rounds)
            rps = statistics.median(r[1] for r in rounds)
            medians[client, c] = cpu, rps
            spread = ", ".join(f"{r[0]:.0f}" for r in rounds)
            print(f"{client:16} in flight {c:3}: {cpu:6.0f} µs CPU/POST (rounds: {spread}), {rps:6.0f} POST/s")
    for c in sorted({c for _, c in medians}):
        old, new = medians["httpx (before)", c], medians["aiohttp (after)", c]
        print(f"after/before, {c} in flight: CPU per POST x{new[0] / old[0]:.2f}, POST/s x{new[1] / old[1]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--before", default=BEFORE, help="git revision whose hub/egress.py is the baseline")
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", RECEIVER, str(port)], env={**os.environ, "PYTHONPATH": ""})
    try:
        url = f"http://127.0.0.1:{port}/otklik/callback"
        asyncio.run(wait_then_run(args, url, port))
    finally:
        server.terminate()
        server.wait()


async def wait_then_run(args: argparse.Namespace, url: str, port: int) -> None:
    """Wait for the receiver to listen, then run and report."""
    for _ in range(100):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.close()
            break
        except OSError:
            await asyncio.sleep(0.05)
    print(f"load: {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f} {os.getloadavg()[2]:.2f} (1/5/15 min)")
    results: Any = await run(args, url)
    report(results)


if __name__ == "__main__":
    main()
