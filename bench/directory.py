"""Import 16,000 stores and 45,000 users into a fresh SQLite store through the importer; print the time.

    .venv/bin/python -m bench.directory [--stores 16000] [--users 45000]

`write_files()` also serves tests and other benchmarks that need the chain's directory as files.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import tempfile
import time
from pathlib import Path

from api.commands.directory import OpenStores
from hub.directory.importer import import_stores, import_users
from hub.directory.rows import read_rows
from hub.stores.sqlite.stores import SqliteStores

REGIONS = ["msk", "spb", "kzn", "nsk", "ekb", "nnv", "sam", "rnd"]


def write_files(directory: Path, stores: int, users: int) -> tuple[Path, Path]:
    """stores.csv (numbers 1..stores) and users.json (two-thirds store staff, the rest operators)."""
    stores_path, users_path = directory / "stores.csv", directory / "users.json"
    with stores_path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "name", "region", "city", "address", "phone", "opening_hours"])
        for n in range(1, stores + 1):
            writer.writerow([n, f"Магазин {n}", REGIONS[n % len(REGIONS)], "Город", f"ул. Ленина, {n}",
                             f"+7495{n:07d}", "08:00-22:00"])
    rows = []
    for n in range(1, users + 1):
        staff = n % 3 != 0
        rows.append({"login": f"user{n:06d}", "name": f"Сотрудник {n}", "email": f"user{n}@example.ru",
                     "roles": ["store_staff"] if staff else ["specialist"],
                     "store_id": str(n % stores + 1) if staff else None, "groups": []})
    users_path.write_text(json.dumps(rows, ensure_ascii=False, indent=0), encoding="utf-8")
    return stores_path, users_path


async def run(stores: int, users: int) -> None:
    """Generate, import twice (the second run only updates), print timings."""
    with tempfile.TemporaryDirectory() as tmp:
        stores_path, users_path = write_files(Path(tmp), stores, users)
        hub = OpenStores(SqliteStores(str(Path(tmp) / "bench.sqlite3")))
        await hub.stores.open()
        try:
            for attempt in ("first import", "re-import"):
                started = time.perf_counter()
                s = await import_stores(hub, read_rows(stores_path), source=stores_path.name)
                middle = time.perf_counter()
                u = await import_users(hub, read_rows(users_path), source=users_path.name)
                done = time.perf_counter()
                print(f"{attempt}: {s.counts.created}+{s.counts.updated} stores in {middle - started:.2f} s, "
                      f"{u.counts.created}+{u.counts.updated} users in {done - middle:.2f} s "
                      f"(errors: {len(s.errors) + len(u.errors)}); total {done - started:.2f} s")
            print(f"stored: {await hub.stores.directory.count_stores()} stores, "
                  f"{await hub.stores.directory.count_users()} users")
        finally:
            await hub.stores.close()


def main() -> None:
    """Parse the arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--stores", type=int, default=16_000)
    parser.add_argument("--users", type=int, default=45_000)
    args = parser.parse_args()
    asyncio.run(run(args.stores, args.users))


if __name__ == "__main__":
    main()
