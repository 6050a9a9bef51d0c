"""Otklik as real processes: start `otklik …`, wait until it is ready, stop it and check it ended cleanly."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import httpx


def clean_env(**overrides: str) -> dict[str, str]:
    """This environment without any OTKLIK_ variable, plus `overrides`.

    The dialog bot is off (OTKLIK_DIALOGS_DIR=""): each message gets one plain acknowledgement, which is what
    the pipeline tests count; a test of the bot passes its flows directory as an override.
    """
    return {**{k: v for k, v in os.environ.items() if not k.startswith("OTKLIK_")}, "OTKLIK_DIALOGS_DIR": "",
            **overrides}


def start(args: list[str], *, cwd: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """`otklik <args>` as its own process, stderr captured."""
    return subprocess.Popen([sys.executable, "-m", "api.cli", *args], cwd=cwd, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


async def wait_ready(base: str, process: subprocess.Popen[bytes], seconds: float = 20.0) -> None:
    """Poll /readyz until 200; fail with the process's stderr if it dies or takes too long."""
    async with httpx.AsyncClient() as client:
        for _ in range(int(seconds / 0.1)):
            if process.poll() is not None:
                raise AssertionError(f"otklik exited: {process.communicate()[1].decode()[-3000:]}")
            try:
                if (await client.get(f"{base}/readyz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError(f"{base} did not become ready")


def stop(process: subprocess.Popen[bytes]) -> str:
    """SIGTERM, wait, and return stderr; fail if it crashed or printed a traceback."""
    process.terminate()
    _, errors = process.communicate(timeout=20)
    text = errors.decode()
    assert process.returncode in (0, -15), text[-3000:]  # uvicorn re-raises SIGTERM once shut down
    assert "Traceback" not in text, text[-3000:]
    return text
