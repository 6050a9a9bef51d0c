"""Case attachments on disk: `<case_files_dir>/<case id>/<file id>`, with the size and type limits of
hub/files.py (shared with the operator's reply attachments)."""

from __future__ import annotations

from hub.files import FileFolder


class CaseFiles(FileFolder):
    """The folder of case attachments with its limits: one sub-folder per case."""
