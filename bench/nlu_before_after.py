"""Issue 15's figures for two versions of the NLU in one run: a baseline revision (default `main`) and this
working tree, each in its own process, so every figure can be printed as a ratio to the baseline.

    .venv/bin/python bench/nlu_before_after.py                    # ~6 minutes on the shared 2 cores
    .venv/bin/python bench/nlu_before_after.py --baseline c22d183 --seeds 7 1 2 3 --rounds 5
    .venv/bin/python bench/nlu_before_after.py --skip-clinc

For each version (the baseline's `nlu` and `models` packages come from `git archive`, the rest of the
code is not needed) a child process trains the default engine on `nlu/data` once per seed and scores the
independent evaluation set (`nlu/evaluation`, never trained or tuned on) the way the bot reads it: topic
accuracy (best-ranked topic) and confidently wrong (answered above the threshold with a topic the message
does not raise), per language; the mean, minimum and maximum over the seeds. Latency is the whole
`BuiltinEngine.parse_now` (entities, language, ranking, clauses) over the set's texts, per language, on the
first seed's model: the CPU time of each parse (time.thread_time; a neighbour's burst on the shared machine
is not our cost) and the wall time, p50 and p99. The two versions' latency passes alternate (`--rounds`),
and each figure is the median over the rounds, so a load change in mid-run hits both alike. CLINC150:
in-scope top-1 accuracy on `test`, trained on `train` (the first seed). Mistakes are never printed: the set
must stay unseen.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from io import BytesIO
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CLINC = Path("/work/shared/data/nlu/clinc150/data_full.json")
LANGUAGES = ("ru", "en")
TODAY = date(2026, 12, 7)  # entities' relative dates need a day; any fixed one will do


def main() -> None:
    """Both versions, then the table of ratios."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", default="main", help="git revision of the baseline (default main)")
    parser.add_argument("--seeds", type=int, nargs="+", default=[7, 1, 2])
    parser.add_argument("--rounds", type=int, default=3, help="alternating latency passes per version")
    parser.add_argument("--clinc", type=Path, default=CLINC)
    parser.add_argument("--skip-clinc", action="store_true")
    parser.add_argument("--child", nargs=2, metavar=("JOB", "DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(args.child[0], Path(args.child[1]), args)
        return
    with tempfile.TemporaryDirectory(prefix="nlu-before-after-") as tmp:
        base = Path(tmp) / "baseline"
        _export(args.baseline, base)
        versions = {"baseline": base, "ours": ROOT}
        work = {name: Path(tmp) / f"work-{name}" for name in versions}
        quality = {}
        for name, tree in versions.items():
            work[name].mkdir(exist_ok=True)
            print(f"training and scoring {name} ({tree}) ...", flush=True)
            quality[name] = _run(tree, "quality", work[name], args)
        speed: dict[str, list[dict[str, Any]]] = {name: [] for name in versions}
        for r in range(args.rounds):
            for name, tree in versions.items():
                print(f"latency round {r + 1}/{args.rounds}: {name}", flush=True)
                speed[name].append(_run(tree, "latency", work[name], args))
    _table(args, quality, speed)


def _export(revision: str, into: Path) -> None:
    """The baseline's nlu and models packages (the NLU imports nothing else of ours)."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision, "nlu", "models"], check=True,
                             capture_output=True).stdout
    into.mkdir(parents=True)
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")


def _run(tree: Path, job: str, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    """One child process with `tree` first on the import path; its JSON answer."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", job, str(work),
               "--seeds", *map(str, args.seeds), "--clinc", str(args.clinc)]
    if args.skip_clinc:
        command.append("--skip-clinc")
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run(command, env=env, cwd=ROOT, check=False, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{job} in {tree} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


def _child(job: str, work: Path, args: argparse.Namespace) -> None:
    """Inside the child: `quality` trains and scores (and keeps the first model), `latency` times it."""
    here = str(Path(__file__).resolve().parent)
    sys.path[:] = [p for p in sys.path if p != here]  # bench/nlu.py is not the nlu package
    import nlu

    answer = _quality(work, args) if job == "quality" else _latency(work)
    answer["nlu"] = str(Path(nlu.__file__).parent)
    print(json.dumps(answer))


def _quality(work: Path, args: argparse.Namespace) -> dict[str, Any]:
    import nlu
    from nlu.classifier import ClassifierConfig
    from nlu.rasa_yaml import load_paths
    from nlu.scorecard import evaluate, load_items
    from nlu.training import train

    data = load_paths([Path(nlu.__file__).parent / "data"])  # each version's own training data
    items = load_items(ROOT / "nlu" / "evaluation")
    per_seed = []
    for n, seed in enumerate(args.seeds):
        model = train(data, ClassifierConfig(seed=seed))
        if n == 0:
            (work / "model.pkl").write_bytes(pickle.dumps(model))
            (work / "texts.json").write_text(json.dumps({lang: [i.text for i in items if i.language == lang]
                                                         for lang in LANGUAGES}))
        card = evaluate(model, items)
        per_seed.append({lang: {"topic": card.row("language", lang).top1 / card.row("language", lang).total,
                                "wrong": card.row("language", lang).confidently_wrong
                                / card.row("language", lang).total} for lang in LANGUAGES})
    answer: dict[str, Any] = {"seeds": per_seed}
    if not args.skip_clinc and args.clinc.is_file():
        answer["clinc"] = _clinc(args.clinc, args.seeds[0])
    return answer


def _clinc(path: Path, seed: int) -> float:
    from nlu.classifier import ClassifierConfig, IntentClassifier

    data = json.loads(path.read_text(encoding="utf-8"))
    texts, labels = (list(c) for c in zip(*data["train"], strict=True))
    classifier = IntentClassifier(ClassifierConfig(seed=seed)).fit(texts, labels)
    right = sum(classifier.rank(text)[0][0] == label for text, label in data["test"])
    return float(right / len(data["test"]))


def _latency(work: Path) -> dict[str, Any]:
    from nlu.artefacts import ModelDirectory
    from nlu.engine import BuiltinEngine

    model = pickle.loads((work / "model.pkl").read_bytes())
    texts: dict[str, list[str]] = json.loads((work / "texts.json").read_text())
    engine = BuiltinEngine(ModelDirectory(work / "models"), check_every=3600)
    engine.model = model
    answer: dict[str, Any] = {}
    for lang in LANGUAGES:
        mine = texts[lang] * max(1, 1200 // len(texts[lang]))
        for text in mine[:100]:  # warm-up: caches and the encoder's first runs
            engine.parse_now(text, today=TODAY)
        answer[lang] = {"cpu": _percentiles(lambda t: engine.parse_now(t, today=TODAY), mine, time.thread_time),
                        "wall": _percentiles(lambda t: engine.parse_now(t, today=TODAY), mine, time.perf_counter)}
    answer["load"] = os.getloadavg()[0]
    return answer


def _percentiles(parse: Callable[[str], Any], texts: list[str], clock: Callable[[], float]) -> list[float]:
    import numpy as np

    times = []
    for text in texts:
        started = clock()
        parse(text)
        times.append(clock() - started)
    return [float(np.percentile(times, 50) * 1e3), float(np.percentile(times, 99) * 1e3)]


def _table(args: argparse.Namespace, quality: dict[str, dict[str, Any]],
           speed: dict[str, list[dict[str, Any]]]) -> None:
    print(f"\nissue 15 figures, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; baseline = {args.baseline}, "
          f"seeds {args.seeds}, latency median of {args.rounds} alternating rounds")
    print(f"  {'':<34} {'baseline':>22} {'ours':>22} {'ours/baseline':>14}")
    for lang in LANGUAGES:
        for key, label in (("topic", "topic accuracy"), ("wrong", "confidently wrong")):
            cells: dict[str, tuple[float, ...]] = {}
            for name in ("baseline", "ours"):
                values = [s[lang][key] for s in quality[name]["seeds"]]
                cells[name] = (statistics.mean(values), min(values), max(values))
            _line(f"{lang} {label} (mean; min-max)", cells, percent=True)
    for lang in LANGUAGES:
        for clock in ("cpu", "wall"):
            for i, p in enumerate(("p50", "p99")):
                cells = {name: (statistics.median(r[lang][clock][i] for r in runs),) for name, runs in speed.items()}
                _line(f"{lang} parse {p}, {clock} time (ms)", cells, percent=False)
    if all("clinc" in quality[name] for name in quality):
        _line("CLINC150 in-scope top-1", {name: (quality[name]["clinc"],) for name in quality}, percent=True)
    loads = [r["load"] for rounds in speed.values() for r in rounds]
    print(f"  load average during the latency rounds: {min(loads):.1f}-{max(loads):.1f} (2 cores)")


def _line(label: str, cells: dict[str, tuple[float, ...]], *, percent: bool) -> None:
    def fmt(value: float) -> str:
        return f"{value * 100:.1f}" if percent else f"{value:.3f}"

    def show(values: tuple[float, ...]) -> str:
        head = fmt(values[0]) + (" %" if percent else "")
        return head + (f" ({fmt(values[1])}-{fmt(values[2])})" if len(values) == 3 else "")

    base, ours = cells["baseline"][0], cells["ours"][0]
    ratio = f"{ours / base:.2f}" if base else "-"
    print(f"  {label:<34} {show(cells['baseline']):>22} {show(cells['ours']):>22} {ratio:>14}")


if __name__ == "__main__":
    main()
