"""The import rules of DESIGN.md, checked on the source with `ast` (every import counts: TYPE_CHECKING and
function-local ones too, so no cycle hides behind either). Each failure names file:line."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("models", "connectors", "nlu", "dialogs", "hub", "bots", "api")
MAY_IMPORT = {
    "models": set(),
    "connectors": {"models"},
    "nlu": {"models"},
    "dialogs": {"models", "nlu"},
    "hub": {"models"},
    "bots": {"models", "nlu", "dialogs", "hub"},
    "api": set(PACKAGES),
}
# Inside hub, bottom to top; a module imports from its own layer or below. directory and webhooks see only the kernel.
HUB_LAYERS = {"customers": 2, "outbound": 3, "campaigns": 3.5, "inbox": 4, "csat": 4.5, "cases": 5, "reviews": 5.5,
              "inbound": 6, "worker": 7}
KERNEL_ONLY = {"directory", "webhooks", "privacy", "reports"}
KERNEL_PACKAGES = {"stores", "bus", "context"}  # ports (and adapters only the wiring names)
# Concrete adapters: only api/wiring.py builds them.
ADAPTERS = ("hub.stores.sqlite", "hub.stores.mongo", "hub.stores.redis_caps", "hub.bus.memory", "hub.bus.redis_streams",
            "hub.bus.journal",
            "hub.context.crm", "api.demo.crm_context", "hub.context.cache", "nlu.service", "bots.participant",
            "bots.autoack")
WIRING = "api.wiring"


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the module imported (a package's __init__ when a name comes from the package)
    where: str  # file:line


@cache
def modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def _resolve(module: str, path: Path, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = base[: len(base) - node.level + 1]
    return ".".join([*base, *([node.module] if node.module else [])])


def imports_of(module: str, path: Path) -> Iterator[Import]:
    known = modules()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] in PACKAGES:
                    yield Import(module, alias.name, where)
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, path, node)
            if base.split(".")[0] not in PACKAGES:
                continue
            for alias in node.names:
                full = f"{base}.{alias.name}"
                yield Import(module, full if full in known else base, where)


@cache
def all_imports() -> tuple[Import, ...]:
    return tuple(i for module, path in sorted(modules().items()) for i in imports_of(module, path))


def _hub_area(module: str) -> str:
    """'kernel', a subpackage name, or 'worker'."""
    parts = module.split(".")
    if len(parts) == 1:
        return "kernel"
    if parts[1] in KERNEL_PACKAGES or (len(parts) == 2 and parts[1] not in HUB_LAYERS and parts[1] not in KERNEL_ONLY
                                        and not (ROOT / "hub" / parts[1]).is_dir()):
        return "kernel"
    return parts[1]


def _hub_layer(area: str) -> float:
    return 1 if area == "kernel" else 1.5 if area in KERNEL_ONLY else HUB_LAYERS[area]


def test_every_hub_subpackage_has_a_layer() -> None:
    """A new capability gets its own subpackage at the layer its dependencies put it: name it here."""
    unplaced = [p.name for p in (ROOT / "hub").iterdir() if (p / "__init__.py").exists()
                and p.name not in {*HUB_LAYERS, *KERNEL_ONLY, *KERNEL_PACKAGES}]
    assert not unplaced, f"hub subpackages without a layer in HUB_LAYERS or KERNEL_ONLY: {unplaced}"


def hub_problem(i: Import) -> str | None:
    """Why an import inside hub breaks the layers, or None."""
    source, target = _hub_area(i.source), _hub_area(i.target)
    if source == target:
        return None
    if source in KERNEL_ONLY:
        return None if target == "kernel" else f"hub/{source} sees only the kernel, not hub/{target}"
    if _hub_layer(target) > _hub_layer(source):
        return f"hub/{source} (layer {_hub_layer(source)}) imports the layer above it: hub/{target}"
    return None


@cache
def facade_names(package: str) -> frozenset[str]:
    """What a hub subpackage's __init__ lists in __all__: its public operations and service modules."""
    tree = ast.parse((ROOT / package.replace(".", "/") / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            return frozenset(ast.literal_eval(node.value))
    return frozenset()


def facade_problem(i: Import) -> str | None:
    """bots and api use hub's core, ports, kernel modules and subpackage facades, not a subpackage's modules
    (a service module the facade names in __all__, like hub.cases.service, counts as the facade)."""
    parts = i.target.split(".")
    if parts[0] != "hub" or len(parts) <= 2 or parts[1] in KERNEL_PACKAGES or i.source == WIRING:
        return None
    if len(parts) == 3 and parts[2] in facade_names(f"hub.{parts[1]}"):
        return None
    return f"{i.target} is inside a hub subpackage: import it from its facade hub.{parts[1]} (its __all__)"


def test_packages_import_only_what_design_allows() -> None:
    wrong = [f"{i.where}: {i.source} -> {i.target}" for i in all_imports()
             if i.target.split(".")[0] != i.source.split(".")[0]
             and i.target.split(".")[0] not in MAY_IMPORT[i.source.split(".")[0]]]
    assert not wrong, "imports against DESIGN.md's direction:\n" + "\n".join(wrong)


def test_hub_layers_import_only_downward() -> None:
    wrong = [f"{i.where}: {problem}" for i in all_imports()
             if i.source.startswith("hub") and i.target.startswith("hub") and (problem := hub_problem(i))]
    assert not wrong, "\n".join(wrong)


def test_only_the_wiring_names_concrete_adapters() -> None:
    wrong = [f"{i.where}: {i.source} names the adapter {i.target}" for i in all_imports()
             if i.source != WIRING and any(i.target == a or i.target.startswith(a + ".") for a in ADAPTERS)
             and not any(i.source == a or i.source.startswith(a + ".") for a in ADAPTERS)
             and not i.source.startswith(i.target.rsplit(".", 1)[0] + ".")]
    assert not wrong, "\n".join(wrong)


def test_bots_and_api_use_hub_facades() -> None:
    wrong = [f"{i.where}: {problem}" for i in all_imports()
             if i.source.split(".")[0] in ("bots", "api") and (problem := facade_problem(i))]
    assert not wrong, "\n".join(wrong)


def test_no_import_cycles() -> None:
    edges: dict[str, set[str]] = {}
    for i in all_imports():
        if i.target in modules() and i.target != i.source:
            edges.setdefault(i.source, set()).add(i.target)
    cycles = [c for c in _strongly_connected(edges) if len(c) > 1]
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(sorted(c)) for c in cycles)


def _strongly_connected(edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for root in sorted(edges):
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                found.append(component)
    return found
