"""Russian sentence vectors: the mean of navec word vectors (natasha's bundled news embeddings, 250K words).

Optional like the MiniLM encoder: needs the `navec` package and the embeddings file that the `natasha`
package ships (./run installs it with --no-deps). A model stores the file's name, not its 26 MB: it is
found again in the installed package when the model is loaded; if it is missing there, the model logs it
and ranks Russian by its n-grams alone. Measured (bench/nlu.py, retail Russian, 5-fold): the n-grams
alone 88.2 %, with these vectors fused 91.6 %.
"""

from __future__ import annotations

import importlib.util
import logging
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from nlu.text import words

log = logging.getLogger("otklik.nlu")
NAVEC_FILE = "navec_news_v1_1B_250K_300d_100q.tar"
DIMENSIONS = 300


def navec_path() -> Path | None:
    """natasha's bundled navec file, or None when natasha is not installed."""
    spec = importlib.util.find_spec("natasha")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "data" / "emb" / NAVEC_FILE
    return path if path.is_file() else None


@lru_cache(maxsize=1)
def _navec(path: Path) -> Any:
    from navec import Navec

    return Navec.load(str(path))


class WordVectorEncoder:
    """Mean of the navec vectors of a text's known words, scaled to unit length; picklable by name."""

    def __init__(self, name: str = NAVEC_FILE) -> None:
        self.name = name
        self._navec: Any = None
        self._failed = False

    def __getstate__(self) -> dict[str, Any]:
        return {"name": self.name}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["name"])  # type: ignore[misc]

    def ready(self) -> bool:
        """Load the vectors on first use; False (logged once) when navec or natasha's file is missing."""
        if self._navec is not None or self._failed:
            return not self._failed
        path = navec_path()
        try:
            if path is None or path.name != self.name:
                raise FileNotFoundError(f"{self.name} (the natasha package) is not installed")
            self._navec = _navec(path)
        except (ImportError, OSError) as e:
            log.warning("nlu word vectors unavailable (%s): Russian uses n-grams only", e)
            self._failed = True
        return not self._failed

    def embed(self, texts: list[str]) -> np.ndarray[Any, np.dtype[np.float32]]:
        """One row per text (zero when it has no known word)."""
        out = np.zeros((len(texts), DIMENSIONS), np.float32)
        if not self.ready():
            return out
        for i, text in enumerate(texts):
            found = [self._navec[w] for w, _, _ in words(text) if w in self._navec]
            if found:
                mean = np.mean(found, axis=0)
                out[i] = mean / (np.linalg.norm(mean) or 1.0)
        return out


def load_word_vectors() -> WordVectorEncoder | None:
    """The navec encoder when its package and file are installed; None (logged) otherwise."""
    if navec_path() is None or importlib.util.find_spec("navec") is None:
        log.warning("nlu: navec/natasha not installed: Russian uses n-grams only")
        return None
    return WordVectorEncoder()
