"""A MongoDB-wire-protocol server for the tests when MONGODB_URL is not set: secantusdb's, as a child process.

secantusdb (PyPI, GPL-2.0, a test-only dependency) speaks MongoDB's wire protocol over WiredTiger, the
storage engine mongod ships, and advertises itself as a one-node replica set (`secantus`), so sessions,
transactions and change streams work through the unchanged PyMongo driver. Its Python server runs in a
process of its own here rather than in the test process: it then has a core of its own instead of
sharing the test process's interpreter lock with the code under test. What it does not prove about a
real replica set is in the README ("MongoDB in the tests").
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pymongo import MongoClient
from pymongo.errors import PyMongoError

from tests.fakes.serving import free_port

START_SECONDS = 30.0


@contextmanager
def secantus_server(data_dir: Path) -> Iterator[str]:
    """Run a secantusdb server on a free port with its data under `data_dir`; yield its MongoDB URL."""
    data_dir.mkdir(parents=True, exist_ok=True)
    config = data_dir / "secantusd.toml"
    config.write_text("", encoding="utf-8")  # an explicit empty config: no ./secantusd.toml or /etc one is read
    port = free_port()
    log = (data_dir / "server.log").open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "secantus", "--config", str(config), "--host", "127.0.0.1", "--port", str(port),
         "--storage-path", str(data_dir / "db"), "--log-level", "WARNING"],
        stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"mongodb://127.0.0.1:{port}/"
    try:
        _wait_until_answering(url, process, data_dir / "server.log")
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _wait_until_answering(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Ping until the server answers; fail with its log if it exits or takes too long."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"secantusdb exited ({process.returncode}): {log.read_text()[-3000:]}")
        client: MongoClient[dict[str, object]] = MongoClient(url, serverSelectionTimeoutMS=500)
        try:
            client.admin.command("ping")
            return
        except PyMongoError:
            time.sleep(0.1)
        finally:
            client.close()
    raise RuntimeError(f"secantusdb did not answer on {url} within {START_SECONDS:.0f} s: {log.read_text()[-3000:]}")
