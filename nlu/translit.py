"""Russian typed in Latin letters ("gde moi zakaz") back into Cyrillic, so that it meets the Russian model.

Shoppers on phones without a Cyrillic layout write Russian in Latin letters, by ear and in no one
standard. Such a text is recognised by its words: enough of them are common Russian words spelt in
Latin (a short list below, in the spellings people actually use). It is then read back with the
usual digraphs (zh, kh, ch, sh, shch, ya, yu...); the result is not perfect Russian, but its character
n-grams and stems are close enough to the Cyrillic examples to be classified with them.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Frequent Russian words as people transliterate them (several spellings each); none is a common English word.
_MARKERS = frozenset([
    "moi", "ne", "da",
    "balans", "ballov", "bally", "bonusov", "bonusy", "cena", "ceny", "chelovek", "cheloveka", "chto", "deneg",
    "dengi", "dobriy", "dobrogo", "dobryi", "dostavili", "dostavka", "dostavki", "dostavku", "esche", "eshche",
    "eto", "gde", "gdeto", "hochu", "horosho", "hotela", "ili", "kak", "karta", "karte", "kartu", "karty", "kassa",
    "kasse", "kassir", "kassirsha", "khorosho", "kogda", "kurer", "kurera", "kurier", "magazin", "magazina", "menya",
    "mne", "moe", "moih", "moikh", "mojno", "moy", "moya", "moyo", "mozhno", "nado", "nagrubil", "nagrubila", "net",
    "nochi", "nomer", "nuzhno", "ochen", "otkryvaetes", "otlichno", "pishet", "plohoy", "plokho", "pochemu",
    "pochemy", "pochta", "pojaluista", "poka", "pomoch", "pomogite", "pozhaluista", "pozhalujsta", "pozhaluysta",
    "priehal", "priekhal", "prilojenie", "prilozhenie", "prilozhenii", "privet", "privez", "privezite", "privezli",
    "privezut", "promokod", "promokoda", "prosrochenny", "prosrochennyi", "prosrochka", "prosrochku", "rabotaet",
    "rabotaete", "segodnya", "shto", "skidka", "skidku", "skolko", "spasib", "spasibo", "spokoinoi", "spokoynoy",
    "statusa", "stoit", "svidaniya", "tovar", "tovara", "tsena", "tut", "ujeshche", "utro", "uzhe", "vas", "vchera",
    "vecher", "vernite", "vernut", "vozvrat", "vsego", "vy", "zakaz", "zakaza", "zakazal", "zakazala", "zakazom",
    "zakazu", "zakryvaetes", "zavtra", "zdrasti", "zdrastvuite", "zdravstvuite", "zdravstvuyte",
])
_MIN_MARKERS = 2
_MIN_SHARE = 0.34
# With one marker, a text counts as Russian only if none of its words is one of these English ones.
_ENGLISH = frozenset([
    "a", "an", "the", "i", "my", "me", "you", "your", "is", "are", "was", "were", "be", "to", "of", "in", "on",
    "at", "for", "with", "and", "or", "not", "no", "it", "this", "that", "what", "where", "when", "how", "why",
    "can", "do", "does", "did", "have", "has", "get", "got", "please", "thanks", "hi", "hello", "from", "by",
    "order", "card", "app", "store", "shop", "code", "refund", "delivery", "points", "price",
])

# Longest first: "shch" before "sh", "ch" before "c".
_DIGRAPHS = [("shch", "щ"), ("sch", "щ"), ("zh", "ж"), ("kh", "х"), ("ch", "ч"), ("sh", "ш"), ("ts", "ц"),
             ("ya", "я"), ("ja", "я"), ("yu", "ю"), ("ju", "ю"), ("yo", "е"), ("jo", "е"), ("ye", "е"),
             ("iy", "ий"), ("yi", "ый"), ("y", "ы"), ("j", "й"), ("'", "ь")]
_LETTERS = dict(zip("abvgdezijklmnoprstufhcwqx", "абвгдезийклмнопрстуфхцвкх", strict=True))
_WORD = re.compile(r"[a-z']+")


def looks_translit(text: str) -> bool:
    """Whether a Latin-script text is Russian written in Latin letters."""
    tokens = _WORD.findall(text.casefold())
    if not tokens:
        return False
    hits = sum(map(_MARKERS.__contains__, tokens))  # a parse asks this of each text and clause it reads
    if hits == len(tokens) == 1:
        return len(tokens[0]) > 4  # "spasibo", "privet"
    if hits == 1:  # "kurer opozdal na 3 chasa": one known word, and nothing English around it
        return len(tokens) >= 2 and not any(t in _ENGLISH for t in tokens)
    return hits >= _MIN_MARKERS and hits / len(tokens) >= _MIN_SHARE


@lru_cache(maxsize=20_000)
def _word(word: str) -> str:
    out, i = [], 0
    while i < len(word):
        for latin, cyrillic in _DIGRAPHS:
            if word.startswith(latin, i):
                out.append(cyrillic)
                i += len(latin)
                break
        else:
            out.append(_LETTERS.get(word[i], word[i]))
            i += 1
    text = "".join(out)
    # "y" after a vowel was a "й" ("moy", "zdravstvuyte"); after a consonant it is "ы" ("vy").
    return re.sub(r"(?<=[аеиоуэюя])ы", "й", text)


def to_cyrillic(text: str) -> str:
    """The text with its Latin words read as transliterated Russian (digits and punctuation kept)."""
    return _WORD.sub(lambda m: _word(m.group()), text.casefold())
