"""Every data file the code loads at run time ships in the wheel (the Docker image installs one): each
non-Python file in a package folder is matched by pyproject's package-data, or is named here as dev-only."""

from __future__ import annotations

import subprocess
import tomllib
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("models", "hub", "connectors", "nlu", "dialogs", "bots", "api")
# Evaluation sets and tooling: read by tests and benches only.
DEV_ONLY = ("nlu/evaluation/*", "nlu/dev/*", "nlu/reviews/evaluation/*")


def test_every_data_file_of_a_package_ships_in_the_wheel() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    package_data: dict[str, list[str]] = config["tool"]["setuptools"]["package-data"]
    tracked = subprocess.run(["git", "ls-files", *PACKAGES], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    missing = []
    for name in tracked:
        if name.endswith(".py") or name.endswith("/.gitignore") or any(fnmatch(name, p) for p in DEV_ONLY):
            continue
        package, _, inside = name.partition("/")
        patterns = package_data.get(package, [])
        if not any(fnmatch(inside, p.replace("**/", "*")) for p in patterns):
            missing.append(name)
    assert not missing, f"not in [tool.setuptools.package-data]: {missing}"
