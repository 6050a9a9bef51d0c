"""Files an operator attaches to a reply: stored on disk, sent as signed links, downloadable by operators.

Messenger servers (Telegram, Twilio, Viber) fetch media by URL, so each file gets a capability link under
OTKLIK_PUBLIC_URL (hub/file_links.py); without a public URL attaching is refused, since no messenger could
fetch the file. File ids derive from the reply's idempotency key (keyed by the secret, so they are not
guessable), so a resubmitted form lands on the same files and the same message.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from urllib.parse import quote

from fastapi import APIRouter, UploadFile
from fastapi.responses import FileResponse, Response

from api.deps import HubDep
from api.inbox.access import InboxUser, visible_conversation
from api.inbox.views import AttachLimits
from hub.core import Hub
from hub.file_links import file_link
from hub.files import MIME_BY_EXTENSION, FileFolder, StoredFile, clean_name, mime_for, served_type, size_text
from hub.inbox import replies
from hub.settings import Settings
from models.channels import Channel
from models.errors import Conflict, NotFound, PayloadError
from models.ids import ConversationId
from models.messages import Attachment, Direction
from models.staff import User

router = APIRouter(prefix="/inbox", tags=["inbox"], include_in_schema=False)
OUR_LINK = re.compile(r"/files/([0-9a-f]{32})/[^/?#]+$")  # the path of a link made by file_link


def reply_folder(settings: Settings) -> FileFolder:
    """The folder of reply attachments with the configured limits (sub-folders by the id's first two digits)."""
    return FileFolder(settings.reply_files_dir, max_bytes=settings.reply_file_max_bytes,
                      extensions=frozenset(e.lower() for e in settings.reply_file_types))


def attach_limits(settings: Settings) -> AttachLimits:
    """What the reply box says about attaching: whether it is possible, and the limits."""
    types = [e.lower() for e in settings.reply_file_types if e.lower() in MIME_BY_EXTENSION]
    return AttachLimits(enabled=bool(settings.public_url), count=settings.reply_file_max_count,
                        size=size_text(settings.reply_file_max_bytes), types=", ".join(types),
                        accept=",".join(f".{e}" for e in types))


def _file_id(secret: str, key: str, n: int) -> str:
    return hmac.new(secret.encode(), f"reply-file:{key}:{n}".encode(), hashlib.sha256).hexdigest()[:32]


def _checked(settings: Settings, uploads: list[UploadFile]) -> list[UploadFile]:
    """The uploads that carry a file, after the checks that need no bytes (count, type, public URL)."""
    chosen = [u for u in uploads if u.filename]  # an empty file input still posts one nameless part
    if not chosen:
        return []
    if not settings.public_url:
        raise Conflict("attachments need OTKLIK_PUBLIC_URL: messengers fetch files by a public link")
    if len(chosen) > settings.reply_file_max_count:
        raise PayloadError(f"at most {settings.reply_file_max_count} files per reply")
    extensions = frozenset(e.lower() for e in settings.reply_file_types)
    for upload in chosen:
        mime_for(clean_name(upload.filename), extensions)  # refuse a wrong type before writing anything
    return chosen


async def store_reply_files(hub: Hub, uploads: list[UploadFile], *, key: str) -> list[Attachment]:
    """Store the reply's files (all or none) and describe them as attachments with signed links."""
    settings = hub.settings
    chosen = _checked(settings, uploads)
    folder, secret = reply_folder(settings), settings.secret_key.get_secret_value()
    stored: list[StoredFile] = []
    try:
        for n, upload in enumerate(chosen):
            file_id = _file_id(secret, key, n)
            stored.append(await folder.save(file_id[:2], upload, file_id=file_id))
    except Exception:
        for done in stored:
            folder.remove(done.id[:2], done.id)
        raise
    expires = int(time.time() + settings.file_link_ttl_hours * 3600)
    return [_attachment(settings, secret, f, expires) for f in stored]


async def reply_with_files(
    hub: Hub, conversation_id: ConversationId, text: str, uploads: list[UploadFile], *, operator: User, key: str,
    channel: Channel | None, account_id: str | None,
) -> None:
    """The operator's reply with its files: stored once per key, and removed again if the reply is refused."""
    known = await hub.stores.messages.find_by_key(key)  # a resubmitted form stores no file twice
    attachments = list(known.attachments) if known else await store_reply_files(hub, uploads, key=key)
    try:
        await replies.reply(hub, conversation_id, text, operator=operator, channel=channel,
                                     account_id=account_id, key=key, attachments=attachments)
    except Exception:
        if known is None and await hub.stores.messages.find_by_key(key) is None:
            folder = reply_folder(hub.settings)
            for file_id in filter(None, (our_file_id(str(a.url)) for a in attachments)):
                folder.remove(file_id[:2], file_id)
        raise


def _attachment(settings: Settings, secret: str, stored: StoredFile, expires: int) -> Attachment:
    assert settings.public_url is not None  # _checked refused attaching without it
    url = file_link(settings.public_url, secret, stored.id, stored.name, expires=expires)
    kind = "image" if stored.mime_type.startswith("image/") else "file"
    return Attachment(kind=kind, url=url, name=stored.name, mime_type=stored.mime_type,
                      size=stored.size)


def our_file_id(url: str | None) -> str | None:
    """The stored file a reply attachment's link names, or None for anyone else's URL."""
    found = OUR_LINK.search(url.split("?", 1)[0]) if url else None
    return found.group(1) if found else None


def download(path: str, name: str) -> FileResponse:
    """A stored file as a download with the type we chose and no sniffing."""
    headers = {"content-disposition": f"attachment; filename*=UTF-8''{quote(name, safe='')}",
               "x-content-type-options": "nosniff", "referrer-policy": "no-referrer"}
    return FileResponse(path, media_type=served_type(name), headers=headers)


@router.get("/conversations/{conversation_id}/files/{file_id}")
async def operator_download(hub: HubDep, user: InboxUser, conversation_id: str, file_id: str) -> Response:
    """A file an operator sent in this conversation, for those who may see it (links that never expire)."""
    conversation = await visible_conversation(hub, user, conversation_id)
    for message in await hub.stores.messages.list_for_conversation(conversation.id):
        if message.direction is not Direction.OUTBOUND:
            continue
        for attachment in message.attachments:
            if our_file_id(str(attachment.url) if attachment.url else None) == file_id:
                path = reply_folder(hub.settings).path(file_id[:2], file_id)
                response = download(str(path), attachment.name or "file")
                response.headers["cache-control"] = "private, no-store"
                return response
    raise NotFound("no such file in this conversation")

