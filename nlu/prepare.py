"""What the classifier reads of a message: the question, without the greeting before it or the signature after.

"Здравствуйте, какой у меня баланс бонусов?" is a loyalty question; the greeting is politeness, and
greetings are also an intent of their own, so left in place they pull a question towards "greet". A
message that is nothing but a greeting keeps it. E-mail sign-offs and "Sent from my iPhone" lines say
nothing about the topic either. Russian typed in Latin letters is read back into Cyrillic
(nlu/translit.py). Training examples pass through the same function, so both sides see the same text.
"""

from __future__ import annotations

import re
from functools import lru_cache

from nlu.language import TEXTS_KEPT
from nlu.translit import looks_translit, to_cyrillic

_GREETING = re.compile(
    r"^\s*(?:(?:алл?о+|да|ну|эм+|э+|ээ+|а|вот|девушка|добрый\s+(?:день|вечер|утро)|доброе\s+утр(?:о|ечко)"
    r"|доброй\s+ночи|доброго\s+(?:дня|времени\s+суток)|здравствуйте|здрав?ствуй(?:те)?|здрасьте|здрасте"
    r"|здрасти|привет(?:ик(?:и)?|ствую)?|прив|хай|салют|уважаем(?:ая|ый|ые)\s+[\w\s-]{0,40}?(?=[,!.:\n])"
    r"|hello(?:\s+there)?|hi(?:\s+there)?|hey(?:\s+there)?|hiya|good\s+(?:morning|afternoon|evening|day)|dear\s+[\w\s-]{0,40}?(?=[,!.:\n])"
    r"|greetings|um+|uh+)\b"
    r"[\s,!.:;)\-—]*)+",
    re.IGNORECASE)
_SIGNATURE = re.compile(
    r"(?:\n|[.!?]\s+|^)\s*(?:с\s+уважением|спасибо\s+заранее|заранее\s+(?:спасибо|благодарю)|отправлено\s+с"
    r"|best\s+regards|kind\s+regards|regards|thanks\s+in\s+advance|sent\s+from\s+my|cheers)\b.*$",
    re.IGNORECASE | re.DOTALL)
_MIN_WORDS_LEFT = 2
# E-mail around the question: the earlier message quoted under a reply ("> ..." lines, or everything after
# "... написал(а):" / "On ... wrote:" / "-----Original Message-----"), and "Тема:" / "Subject:" / "Re:" labels
# (the subject's own words stay: they are often the best summary of the message).
_QUOTED = re.compile(r"^[ \t]*>.*$", re.MULTILINE)
_REPLY_HEADER = re.compile(
    r"(?:^|\n)[^\n]{0,120}?(?:написал(?:а|\(а\))?|пишет|wrote)\s*:[ \t]*(?:\n.*)?$"
    r"|(?:^|\n)\s*-{2,}\s*(?:original\s+message|исходное\s+сообщение|пересылаемое\s+сообщение)\s*-*.*$"
    r"|\n--[ \t]*\n.*$",
    re.IGNORECASE | re.DOTALL)
_SUBJECT = re.compile(r"(?:^|(?<=\n))\s*(?:(?:тема|subject)\s*:|(?:re|fwd?|отв)\s*:)\s*", re.IGNORECASE)
_FILLERS = re.compile(r"(?<!\w)(?:э+м*|м{2,}|эм+|uh+|um+|erm+|hmm+)(?!\w)[,.]*", re.IGNORECASE)


def without_mail_furniture(text: str) -> str:
    """The text minus quoted earlier messages, reply headers, the `-- ` signature block, subject labels and
    speech fillers ("ээ", "um"); the original when nothing would be left."""
    # Each pattern runs only where the text holds what it cannot match without (most messages hold none).
    body = _QUOTED.sub("", text) if ">" in text else text
    if _may_hold_reply_header(body):
        body = _REPLY_HEADER.sub("", body)
    body = _FILLERS.sub(" ", _SUBJECT.sub("", body) if ":" in body else body)
    body = "\n".join(" ".join(line.split()) for line in body.splitlines() if line.strip())
    return body if re.search(r"\w", body) else text


def _may_hold_reply_header(text: str) -> bool:
    """False when `_REPLY_HEADER` cannot match: each branch needs a colon and one of its words, or "--".
    (The casefolded text holds every word the case-insensitive pattern could match.)"""
    if "--" in text:
        return True
    if ":" not in text:
        return False
    folded = text.casefold()
    return "wrote" in folded or "написал" in folded or "пишет" in folded


def question_part(text: str) -> str:
    """The text minus a leading greeting and a trailing sign-off, when enough words are left to classify."""
    text = without_mail_furniture(text)
    body = _SIGNATURE.sub("", text).strip() or text
    # A greeting on a line of its own (under an e-mail's subject) is dropped wherever it stands.
    lines = [line for line in body.split("\n") if not _GREETING.fullmatch(line)]
    rest = _GREETING.sub("", "\n".join(lines), count=1).strip()
    return rest if len(re.findall(r"\w+", rest)) >= _MIN_WORDS_LEFT else body


@lru_cache(maxsize=TEXTS_KEPT)  # a parse prepares the same text for its ranking and again for its clauses
def prepare(text: str) -> str:
    """The text the classifier reads: transliteration undone, greeting and signature set aside."""
    if looks_translit(text):
        text = to_cyrillic(text)
    return question_part(text)
