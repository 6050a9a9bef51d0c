"""Distil the English sentence encoder (all-MiniLM-L6-v2, int8) into an English word table for
nlu/static_vectors.py, the way bench/distil_words.py distils multilingual-e5-small for Russian: every
Latin word of the training data, plus the whole words of MiniLM's own vocabulary for coverage, each
embedded on its own, stored as float16.

    OMP_NUM_THREADS=1 .venv/bin/python bench/distil_words_en.py [--layers 6]

Not part of the runtime and not committed (16 MB; nlu/vectors/.gitignore): measured on the independent
English set it loses accuracy (88.9 % vs 90.6 % with the transformer), so it stays an option
(ClassifierConfig(english_encoder="words")) that bench/nlu.py prints beside the default when the file exists.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nlu.encoder import load_encoder
from nlu.prepare import prepare
from nlu.rasa_yaml import load_paths
from nlu.static_vectors import ENGLISH_TABLE
from nlu.text import words

ROOT = Path(__file__).resolve().parents[1]


def _latin(word: str) -> bool:
    return word.isascii() and word.isalpha()


def vocabulary(tokenizer_json: str) -> list[str]:
    """Training words first, then MiniLM's whole-word vocabulary (no "##" pieces, letters only)."""
    found: dict[str, None] = {}
    for example in load_paths([ROOT / "nlu" / "data"]).examples:
        for word, _, _ in words(prepare(example.text)):
            if _latin(word):
                found.setdefault(word)
    for piece in json.loads(tokenizer_json)["model"]["vocab"]:
        if _latin(piece) and len(piece) > 1:
            found.setdefault(piece.casefold())
    return list(found)


def main() -> None:
    """Embed the vocabulary and write the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--layers", type=int, default=6, help="MiniLM layers to distil (all six by default)")
    args = parser.parse_args()
    encoder = load_encoder(args.layers)
    if encoder is None or not encoder.ready():
        sys.exit("the MiniLM weights are needed: ./run test --co -q installs them")
    table = vocabulary(encoder.tokenizer_json)
    started = time.perf_counter()
    vectors = np.zeros((len(table), 384), np.float16)
    for i, word in enumerate(table):
        vectors[i] = encoder.embed([word])[0]
        if i % 5000 == 0:
            print(f"{i}/{len(table)} words, {time.perf_counter() - started:.0f} s", flush=True)
    ENGLISH_TABLE.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(ENGLISH_TABLE, words=np.array(table), vectors=vectors)
    print(f"{len(table)} words -> {ENGLISH_TABLE} ({ENGLISH_TABLE.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
