"""Text of a mail: charsets that lie, HTML to plain text, the reply without quoted history or signature.

Pure functions on strings and bytes, used by `connectors/mail_parse.py`. Rules followed:
RFC 3676 §4.3 (the "-- " signature delimiter), the quoting conventions of common clients (Gmail,
Outlook, Thunderbird, Apple Mail, Yandex and Mail.ru in English and Russian), and RFC 2047 for
encoded words in headers (decoded with the standard library's `email.header`).
"""

from __future__ import annotations

import codecs
import re
from email.header import decode_header
from html.parser import HTMLParser

# Charsets misconfigured mailers declare by default whatever they send: a declaration worth doubting.
_WEAK = {"ascii", "latin-1", "iso8859-1", "cp1252"}
_CYRILLIC_SINGLE_BYTE = ("cp1251", "koi8-r")
_ALIASES = {"win-1251": "cp1251", "windows1251": "cp1251", "x-cp1251": "cp1251", "cp-1251": "cp1251",
            "x-koi8-r": "koi8-r", "koi8r": "koi8-r", "unknown-8bit": "", "x-unknown": ""}
_LOWER_CYRILLIC = re.compile(r"[а-яё]")
_ANY_CYRILLIC = re.compile(r"[а-яёА-ЯЁ]")
_LATIN = re.compile(r"[a-zA-Z]")
_WORD = re.compile(r"\w+")


def codec_name(declared: str | None) -> str | None:
    """The Python codec for a MIME charset name, or None when it is missing or unknown."""
    if not declared:
        return None
    name = declared.strip().strip('"').lower()
    name = _ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name if name else None
    except LookupError:
        return None


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Bytes of a body or header in the declared charset, or the best guess when it is missing or wrong.

    A Russian shop's mail is often windows-1251 or koi8-r with no or a wrong declaration: those two are
    told apart by lower-case Cyrillic letters (read in the wrong one, Russian text comes out in capitals).
    """
    name = codec_name(declared)
    if name and name not in _WEAK:
        try:
            text = data.decode(name)
        except UnicodeDecodeError:
            text = None
        if text is not None and name not in _CYRILLIC_SINGLE_BYTE:
            return text
        if text is not None:
            other = _cyrillic_guess(data)
            return other if other is not None and _score(other) > 2 * _score(text) else text
    if data.isascii():
        return data.decode("ascii")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    guess = _cyrillic_guess(data)
    if guess is not None:
        return guess
    return data.decode(name or "utf-8", errors="replace")


def _score(text: str) -> int:
    return len(_LOWER_CYRILLIC.findall(text))


def _cyrillic_guess(data: bytes) -> str | None:
    """windows-1251 or koi8-r, whichever reads as Russian; None when neither does (say, German in latin-1)."""
    high = sum(1 for b in data if b >= 0x80)
    best = max((data.decode(c, errors="replace") for c in _CYRILLIC_SINGLE_BYTE), key=_score)
    words = [w for w in _WORD.findall(best) if _ANY_CYRILLIC.search(w)]
    mixed = sum(1 for w in words if _LATIN.search(w))  # "GrьЯe": Latin text read as Cyrillic mixes scripts
    return best if high and _score(best) * 2 >= high and mixed * 5 <= len(words) else None


def header_text(raw: str) -> str:
    """A header's text: unfolded, raw 8-bit bytes guessed, RFC 2047 encoded words decoded."""
    value = re.sub(r"\r?\n[ \t]", " ", raw).strip()
    if any("\udc80" <= ch <= "\udcff" for ch in value):  # 8-bit bytes the parser kept as surrogates
        value = decode_bytes(value.encode("utf-8", "surrogateescape"))
    if "=?" not in value:
        return value
    chunks: list[str] = []
    for chunk, charset in decode_header(value):
        chunks.append(chunk if isinstance(chunk, str) else decode_bytes(chunk, charset))
    return "".join(chunks).strip()


# --- HTML to text --------------------------------------------------------------------------------

_SKIP = {"script", "style", "head", "title", "template", "noscript"}
_BLOCK = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "table", "tr", "section", "article",
          "header", "footer", "address", "hr", "form", "center", "dl", "dt", "dd", "pre"}


class _TextExtractor(HTMLParser):
    """Collects visible text line by line; blockquote content becomes "> " lines, as in plain text mail."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.line: list[str] = []
        self.skip = self.quote = self.pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP:
            self.skip += 1
        elif tag == "br":
            self.newline(force=True)
        elif tag == "li":
            self.newline()
            self.line.append("- ")
        elif tag == "blockquote":
            self.newline()
            self.quote += 1
        elif tag in _BLOCK:
            self.newline()
            self.pre += tag == "pre"
        elif tag in ("td", "th"):
            self.line.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag == "blockquote":
            self.newline()
            self.quote = max(0, self.quote - 1)
        elif tag in _BLOCK or tag == "li":
            self.newline()
            if tag == "p":
                self.newline(force=True)
            self.pre = max(0, self.pre - (tag == "pre"))

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.pre:
            *done, data = data.split("\n")
            for part in done:
                self.line.append(part)
                self.newline(force=True)
        self.line.append(data if self.pre else re.sub(r"\s+", " ", data))

    def newline(self, *, force: bool = False) -> None:
        text = "".join(self.line).strip()
        self.line = []
        if text or force:
            self.lines.append(("> " * self.quote + text).rstrip())


def html_to_text(html: str) -> str:
    """Visible text of an HTML body: blocks on their own lines, quotes as "> " lines, no markup."""
    parser = _TextExtractor()
    html = re.sub(r"<!--(?:(?!-->).)*\Z", "", html, flags=re.S)  # an unterminated comment would end up as text
    try:
        parser.feed(html)
        parser.close()
    except AssertionError:  # very malformed markup: drop the tags the crude way
        return re.sub(r"<[^>]*>", " ", html).strip()
    parser.newline()
    return re.sub(r"\n{3,}", "\n\n", "\n".join(parser.lines)).strip()


# --- the reply part --------------------------------------------------------------------------------

_QUOTED = re.compile(r"^\s*>")
_ORIGINAL = re.compile(r"^\s*-{2,}\s*(original message|исходное сообщение|оригинальное сообщение)\s*-{2,}\s*$", re.I)
_SEPARATOR = re.compile(r"^\s*_{10,}\s*$")
_FROM_FIELD = re.compile(r"^\s*\*?(from|от)\s*:", re.I)
_OTHER_FIELD = re.compile(r"^\s*\*?(sent|date|to|cc|subject|отправлено|дата|кому|копия|тема)\s*:", re.I)
_ON_WROTE = re.compile(r"^\s*on\s.*\bwrote\s*:\s*$", re.I | re.S)
_RU_WROTE = re.compile(r"(написал\(а\)|написала?|пишет)\s*:\s*$", re.I)
_SIGNATURE = re.compile(r"^--\s?$")
_MOBILE = re.compile(r"^\s*(sent from my |get outlook for |отправлено (с|из) )", re.I)
_CLOSING = re.compile(r"^\s*(с уважением|с наилучшими пожеланиями|всего (доброго|хорошего)|best regards|kind regards"
                      r"|warm regards|regards|best wishes)\s*[,.!]?(\s+\S.{0,40})?$", re.I)


def reply_part(text: str) -> str:
    """What the sender wrote now: without the quoted history below it and without their signature."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    cut = _history_start(lines)
    own = [line for line in lines[:cut] if not _QUOTED.match(line)]
    reply = "\n".join(_without_signature(own)).strip()
    if not reply:  # answered below the quote (bottom-posting): keep whatever is not quoted
        skip = {cut, cut + 1} if cut + 1 < len(lines) and lines[cut + 1].rstrip().endswith(":") else {cut}
        rest = [line for i, line in enumerate(lines) if not _QUOTED.match(line) and i not in skip]
        reply = "\n".join(_without_signature(rest)).strip()
    return reply or text.strip()


def _history_start(lines: list[str]) -> int:
    """Index of the first line of quoted history (its attribution or header block), or len(lines)."""
    for i, line in enumerate(lines):
        if _ORIGINAL.match(line) or _attribution(lines, i):
            return i
        if _FROM_FIELD.match(line) and any(_OTHER_FIELD.match(nxt) for nxt in lines[i + 1:i + 4]):
            return i - 1 if i and _SEPARATOR.match(lines[i - 1]) else i
    return len(lines)


def _attribution(lines: list[str], i: int) -> bool:
    """An "On <date>, <someone> wrote:" line (possibly wrapped onto two), in English or Russian."""
    line = lines[i]
    if not re.search(r"[\d@]", line) and not (i + 1 < len(lines) and re.search(r"[\d@]", lines[i + 1])):
        return False
    joined = f"{line} {lines[i + 1]}" if i + 1 < len(lines) else line
    if line.strip().lower().startswith("on ") and (_ON_WROTE.match(line) or _ON_WROTE.match(joined)):
        return True
    if _RU_WROTE.search(line):
        return True
    # "пт, 5 апр. 2024 г. в 12:00, Иван <ivan@example.ru>:" followed by quoted lines (Gmail, Yandex, Mail.ru)
    following = next((nxt for nxt in lines[i + 1:] if nxt.strip()), "")
    return line.rstrip().endswith(":") and bool(_QUOTED.match(following)) and bool(re.search(r"\d", line))


def _without_signature(lines: list[str]) -> list[str]:
    """Drop a "-- " signature, a "Sent from my phone" footer and a closing like "С уважением, Иван"."""
    delimiters = [i for i, line in enumerate(lines) if _SIGNATURE.match(line)]
    if delimiters and len(lines) - delimiters[-1] <= 12:
        lines = lines[:delimiters[-1]]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    if lines and _MOBILE.match(lines[-1]):
        lines = lines[:-1]
    filled = [i for i, line in enumerate(lines) if line.strip()]
    for position, i in enumerate(filled[1:], start=1):
        after = filled[position + 1:]
        if _CLOSING.match(lines[i]) and len(after) <= 4 and all(len(lines[j].strip()) <= 60 for j in after):
            return lines[:i]
    return lines
