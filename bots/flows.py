"""Which flows the bot serves: the registry over `OTKLIK_DIALOGS_DIR` (default: the shipped dialogs/flows)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import dialogs
from bots.actions import REGISTRY
from dialogs.registry import FlowRegistry
from dialogs.vocabulary import NLU_DATA, Vocabulary, nlu_vocabulary
from hub.settings import Settings

SHIPPED_FLOWS = Path(dialogs.__file__).resolve().parent / "flows"
__all__ = ["NLU_DATA", "SHIPPED_FLOWS", "build_registry", "flows_dir", "known_intents"]


def flows_dir(settings: Settings) -> Path | None:
    """The flows directory the settings name; None when the bot is turned off (an empty value)."""
    if settings.dialogs_dir is None:
        return SHIPPED_FLOWS
    return Path(settings.dialogs_dir) if settings.dialogs_dir.strip() else None


@lru_cache(maxsize=1)
def _vocabulary() -> Vocabulary:
    return nlu_vocabulary(NLU_DATA)


def known_intents() -> frozenset[str]:
    """The intents the NLU is trained on (nlu/data): flows may only trigger on these."""
    return _vocabulary().intents


def build_registry(settings: Settings) -> FlowRegistry | None:
    """The flow registry (flows checked against the NLU's intents and entities and our actions), or None.

    Invalid flows at start-up stop the process with every problem (file:line); later changes that do not
    check out are refused while the running version keeps serving.
    """
    directory = flows_dir(settings)
    if directory is None:
        return None
    vocabulary = _vocabulary()
    return FlowRegistry(directory, intents=set(vocabulary.intents), actions=set(REGISTRY),
                        entities=set(vocabulary.entities), check_every=settings.dialogs_reload_seconds)
