"""Case attachments: upload from the case page (size and type limits), download only for those who may
see the case. The bytes are on disk (api/cases/files.py); the case keeps the reference."""

from __future__ import annotations

import hashlib
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, Response

from api.cases.files import CaseFiles
from api.cases.rendering import page_errors, to_case
from api.cases.viewer import CaseUser, actor, visible_case
from api.deps import HubDep
from hub.cases import service
from hub.core import Hub
from hub.files import served_type
from models.cases import CaseAttachment
from models.errors import NotFound

router = APIRouter()
Key = Annotated[str, Form(min_length=8, max_length=64, pattern=r"^[\w-]+$")]


def case_files(hub: Hub) -> CaseFiles:
    """The attachment folder with the configured limits."""
    s = hub.settings
    return CaseFiles(s.case_files_dir, max_bytes=s.case_file_max_bytes,
                     extensions=frozenset(e.lower() for e in s.case_file_types))


@router.post("/{case_id}/attachments")
async def upload(
    request: Request, hub: HubDep, user: CaseUser, case_id: str, file: Annotated[UploadFile, File()], key: Key,
) -> Response:
    """Store the file and attach it (once per form key: a resent form attaches nothing new)."""

    async def run() -> Response:
        case = await visible_case(hub, user, case_id)
        attachment_id = hashlib.sha256(f"{case.id}:{user.id}:{key}".encode()).hexdigest()[:32]
        if any(a.id == attachment_id for a in case.attachments):
            return to_case(case.id)
        stored = await case_files(hub).save(case.id, file, file_id=attachment_id)
        await service.add_attachment(hub, case.id, CaseAttachment(
            id=stored.id, name=stored.name, mime_type=stored.mime_type, size=stored.size), actor=actor(user))
        return to_case(case.id)

    return await page_errors(request, run)


@router.get("/{case_id}/attachments/{attachment_id}")
async def download(request: Request, hub: HubDep, user: CaseUser, case_id: str, attachment_id: str) -> Response:
    """The file, as a download with the type we chose, to users who may see the case."""

    async def run() -> Response:
        case = await visible_case(hub, user, case_id)
        found = next((a for a in case.attachments if a.id == attachment_id and a.url is None), None)
        if found is None:
            raise NotFound("no such attachment on this case")
        path = case_files(hub).path(case.id, attachment_id)
        headers = {"content-disposition": f"attachment; filename*=UTF-8''{quote(found.name)}",
                   "x-content-type-options": "nosniff", "cache-control": "private, no-store"}
        return FileResponse(path, media_type=served_type(found.name), headers=headers)

    return await page_errors(request, run)
