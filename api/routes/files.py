"""Public capability links to files operators sent: messenger servers download them without signing in.

The signed link is the permission (hub/file_links.py); a bad, tampered or expired link answers exactly like
a missing file, so nothing reveals that a file exists.
"""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import Response

from api.deps import HubDep
from api.inbox.reply_files import download, reply_folder
from hub.file_links import NOT_FOUND, check_link
from models.errors import NotFound

router = APIRouter(prefix="/files", tags=["files"], include_in_schema=False)


@router.api_route("/{file_id}/{name}", methods=["GET", "HEAD"])
async def fetch(hub: HubDep, file_id: str, name: str, exp: str = "", sig: str = "") -> Response:
    """The file behind a valid, unexpired link; 404 for anything else."""
    check_link(hub.settings.secret_key.get_secret_value(), file_id, name, exp, sig)
    try:
        path = reply_folder(hub.settings).path(file_id[:2], file_id)
    except NotFound:
        raise NotFound(NOT_FOUND) from None  # the same words as a bad signature
    response = download(str(path), name)
    response.headers["cache-control"] = "private, max-age=300"
    return response
