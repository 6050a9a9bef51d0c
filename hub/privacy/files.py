"""Removing the stored files erased or expired records named, from the folders Otklik keeps them in.

Mail attachments (`<attachments_dir>/<ab>/<sha256>`, per e-mail account) and operators' reply files
(`<reply_files_dir>/<ab>/<id>`) are found by id; case files by `<case id>/<file id>` under case_files_dir.
Ids are checked against their shapes first, so a crafted id never names a path outside those folders.
Mail attachments are content-addressed: the very same bytes sent by someone else share the file, and go too.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hub.core import Hub

DEFAULT_MAIL_DIR = "var/attachments"  # connectors/mail.py's default, for accounts that name none
_FILE_ID = re.compile(r"[0-9a-f]{32}|[0-9a-f]{64}")
_CASE_FILE = re.compile(r"([0-9a-f]{32})/([0-9a-f]{32})")


def _sharded_roots(hub: Hub) -> list[Path]:
    mail = {str(a.options.get("attachments_dir") or DEFAULT_MAIL_DIR)
            for a in hub.accounts if a.channel.value == "email"}
    return [Path(hub.settings.reply_files_dir), *(Path(m) for m in sorted(mail))]


def remove_files(hub: Hub, names: list[str]) -> int:
    """Delete the named files where they are; how many were there."""
    removed = 0
    roots = _sharded_roots(hub)
    for name in set(names):
        if case_file := _CASE_FILE.fullmatch(name):
            candidates = [Path(hub.settings.case_files_dir) / case_file.group(1) / case_file.group(2)]
        elif _FILE_ID.fullmatch(name):
            candidates = [root / name[:2] / name for root in roots]
        else:
            continue
        for path in candidates:
            if path.is_file():
                path.unlink(missing_ok=True)
                removed += 1
    return removed
