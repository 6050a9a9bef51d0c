"""Noisy copies of training examples: what shoppers' thumbs and speech recognition do to a message.

Training examples are written cleanly by one hand; real messages drop letters, swap neighbours, double a
key, lose their punctuation and capitals, glue two words together or split one ("за каз"). The n-gram
model sees a noisy copy of every example beside the original, so a typo costs a few character n-grams
instead of the word. Only the n-gram model trains on the copies: the sentence-vector readers look words
up whole, and a misspelt word there is just unknown. Deterministic (seeded per example): the same data gives the
same model.
"""

from __future__ import annotations

import random
import re

_WORD = re.compile(r"\w+")
_PUNCTUATION = re.compile(r"[^\w\s]+")
EDIT_SHARE = 0.25  # of the words long enough to misspell, how many get one edit
MIN_EDIT_LENGTH = 4  # short words ("не", "мой") are mostly typed right, and one edit changes them too much


def _misspell(word: str, rng: random.Random) -> str:
    """One typing mistake inside the word: a letter dropped, doubled, or swapped with its neighbour."""
    i = rng.randrange(1, len(word) - 1)  # first letters are the ones people get right
    kind = rng.randrange(3)
    if kind == 0:
        return word[:i] + word[i + 1:]
    if kind == 1:
        return word[:i] + word[i] + word[i:]
    return word[:i - 1] + word[i] + word[i - 1] + word[i + 1:]


def noisy(text: str, rng: random.Random) -> str:
    """A misspelt, chat- or transcript-like copy of `text` (the same topic, fewer exact n-grams)."""
    if rng.random() < 0.5:
        text = _PUNCTUATION.sub(" ", text).lower()

    def edit(match: re.Match[str]) -> str:
        word = match.group()
        if len(word) >= MIN_EDIT_LENGTH and not word.isdigit() and rng.random() < EDIT_SHARE:
            return _misspell(word, rng)
        return word

    text = _WORD.sub(edit, text)
    words = text.split()
    if len(words) > 2 and rng.random() < 0.3:  # two words run together, or one split (speech recognition)
        i = rng.randrange(len(words) - 1)
        if rng.random() < 0.5:
            words[i:i + 2] = [words[i] + words[i + 1]]
        elif len(words[i]) >= 2 * MIN_EDIT_LENGTH - 2:
            cut = rng.randrange(2, len(words[i]) - 2)
            words[i:i + 1] = [words[i][:cut], words[i][cut:]]
    return " ".join(words)


def with_noisy_copies(texts: list[str], labels: list[str], copies: int, seed: int) -> tuple[list[str], list[str]]:
    """The examples followed by `copies` noisy copies of each (exact repeats of an original dropped)."""
    out_texts, out_labels = list(texts), list(labels)
    for n in range(copies):
        for text, label in zip(texts, labels, strict=True):
            # Seeded by the example itself: adding or reordering other examples leaves its copies alone.
            copy = noisy(text, random.Random(f"{seed}:{n}:{text}"))
            if copy != text:
                out_texts.append(copy)
                out_labels.append(label)
    return out_texts, out_labels
