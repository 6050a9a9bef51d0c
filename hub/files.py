"""Uploaded files on disk: checked for size and type, stored under one configured folder.

Files live at `<root>/<folder>/<file id>`; the name the user gave is kept only as metadata, so no upload
can choose where it lands. Types come from an allow-list by extension, and files are always served with
the type we chose (never the browser's guess), so an "image" holding HTML cannot run in our origin.
Case attachments (api/cases/files.py) and operator reply attachments (api/inbox/reply_files.py) share it.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from models.errors import NotFound, PayloadError, PayloadTooLarge
from models.ids import new_id

CHUNK = 64 * 1024
MIME_BY_EXTENSION = {
    "jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif", "webp": "image/webp",
    "heic": "image/heic", "pdf": "application/pdf", "txt": "text/plain", "csv": "text/csv",
    "doc": "application/msword", "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xls": "application/vnd.ms-excel", "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "mp4": "video/mp4", "mp3": "audio/mpeg", "ogg": "audio/ogg", "zip": "application/zip",
}
FILE_ID = re.compile(r"^[0-9a-f]{32}$")
FOLDER = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


class Upload(Protocol):
    """What an upload offers (starlette's UploadFile has it): the client's file name and async reads."""

    @property
    def filename(self) -> str | None:
        """The name the client gave."""

    async def read(self, size: int = -1) -> bytes:
        """The next `size` bytes; b"" at the end."""


@dataclass(frozen=True)
class StoredFile:
    """What was written: our id, the user's file name, the type we serve it as, its size and digest."""

    id: str
    name: str
    mime_type: str
    size: int
    sha256: str


def clean_name(name: str | None) -> str:
    """The user's file name without any folder part or control characters, at most 200 characters."""
    base = os.path.basename((name or "").replace("\\", "/"))
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>|*?:').strip(" .")
    return base[-200:] or "file"


def mime_for(name: str, allowed: frozenset[str]) -> str:
    """The type we serve a file as, from its extension; PayloadError if the extension is not allowed."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in allowed or extension not in MIME_BY_EXTENSION:
        raise PayloadError(f"file type .{extension or '?'} is not accepted; allowed: {', '.join(sorted(allowed))}")
    return MIME_BY_EXTENSION[extension]


def served_type(name: str) -> str:
    """The type a stored file is served as (by its extension; unknown: a plain byte stream)."""
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return MIME_BY_EXTENSION.get(extension, "application/octet-stream")


def size_text(size: int | None) -> str:
    """'2.4 MB', '17 KB', '' for unknown."""
    if size is None:
        return ""
    return f"{size / 1_000_000:.1f} MB" if size >= 1_000_000 else f"{max(1, round(size / 1000))} KB"


class FileFolder:
    """A folder of uploaded files with its limits (largest size, allowed extensions)."""

    def __init__(self, root: str | Path, *, max_bytes: int, extensions: frozenset[str]) -> None:
        self.root = Path(root)
        self.max_bytes = max_bytes
        self.extensions = extensions

    def _folder(self, folder: str) -> Path:
        if not FOLDER.fullmatch(folder):
            raise NotFound("no such attachment")
        return self.root / folder

    async def save(self, folder: str, upload: Upload, *, file_id: str | None = None) -> StoredFile:
        """Write the upload (under `file_id`, or a fresh one); PayloadTooLarge past the limit, PayloadError for
        a type not allowed or no bytes."""
        name = clean_name(upload.filename)
        mime = mime_for(name, self.extensions)
        where = self._folder(folder)
        where.mkdir(parents=True, exist_ok=True)
        file_id = file_id or new_id()
        if not FILE_ID.fullmatch(file_id):
            raise PayloadError("attachment id: expected 32 hex digits")
        target, partial = where / file_id, where / f"{file_id}.part"
        digest, size = hashlib.sha256(), 0
        try:
            with partial.open("wb") as out:
                while chunk := await upload.read(CHUNK):
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise PayloadTooLarge(f"attachment {name!r} is over {self.max_bytes} bytes")
                    digest.update(chunk)
                    await asyncio.to_thread(out.write, chunk)  # a slow disk must not stall the event loop
            if size == 0:
                raise PayloadError(f"the attachment {name!r} is empty")
            partial.replace(target)  # only complete files ever carry a file id
        finally:
            partial.unlink(missing_ok=True)
        return StoredFile(file_id, name, mime, size, digest.hexdigest())

    def path(self, folder: str, file_id: str) -> Path:
        """Where a stored file is; NotFound for a malformed id or a missing file."""
        if not FILE_ID.fullmatch(file_id):
            raise NotFound("no such attachment")
        path = self._folder(folder) / file_id
        if not path.is_file():
            raise NotFound("no such attachment")
        return path

    def remove(self, folder: str, file_id: str) -> None:
        """Delete a stored file if it is there (undoing part of a refused upload)."""
        if FILE_ID.fullmatch(file_id):
            (self._folder(folder) / file_id).unlink(missing_ok=True)
