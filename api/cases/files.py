"""Case attachments on disk: `<case_files_dir>/<case id>/<file id>`, with the size and type limits of
hub/files.py (shared with the operator's reply attachments)."""

from __future__ import annotations

from hub.files import MIME_BY_EXTENSION, FileFolder, StoredFile, clean_name, mime_for, served_type

__all__ = ["MIME_BY_EXTENSION", "CaseFiles", "StoredFile", "clean_name", "mime_for", "served_type"]


class CaseFiles(FileFolder):
    """The folder of case attachments with its limits: one sub-folder per case."""
