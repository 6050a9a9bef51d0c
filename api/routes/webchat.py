"""The built-in web chat: a page, its message POST, and an SSE stream of replies."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, StreamingResponse

from api import i18n
from api.deps import HubDep, read_body
from api.routes import webchat_limits, webchat_stream
from api.templating import request_lang, templates
from connectors import webchat
from hub.core import Hub
from hub.inbound import accept
from models.errors import PayloadError, SignatureError

router = APIRouter(prefix="/chat", tags=["web chat"])
COOKIE = "otklik_chat"
# What the page's script says itself (api/locales/webchat.json), handed to it in the page's language.
PAGE_STRINGS = ("webchat.reconnecting", "webchat.offline", "webchat.typing_bot", "webchat.queued",
                "webchat.queued_next", "webchat.queued_at", "webchat.joined", "webchat.joined_anonymous",
                "webchat.resolved", "webchat.operator")


def _secret(hub: Hub) -> str:
    return hub.settings.secret_key.get_secret_value()


@router.get("", response_class=HTMLResponse)
async def chat_page(request: Request, hub: HubDep) -> Response:
    """The chat page; a new visitor gets a signed session cookie."""
    lang = request_lang(request)
    strings = {key.removeprefix("webchat."): i18n.t(key, lang) for key in PAGE_STRINGS}
    response = templates.TemplateResponse(request, "webchat/chat.html", {"strings": strings})
    try:
        webchat.verify_visitor(request.cookies.get(COOKIE), _secret(hub))
    except SignatureError:
        cookie = webchat.sign_visitor(webchat.new_visitor(), _secret(hub))
        response.set_cookie(COOKIE, cookie, httponly=True, samesite="strict", max_age=180 * 24 * 3600,
                            secure=request.url.scheme == "https")  # behind TLS (X-Forwarded-Proto), HTTPS only
    return response


@router.post("/messages", status_code=202)
async def post_message(request: Request, hub: HubDep) -> dict[str, str]:
    """Accept the visitor's message; resending the same client_id is a no-op."""
    visitor = webchat.verify_visitor(request.cookies.get(COOKIE), _secret(hub))
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        raise PayloadError("content-type must be application/json")  # also keeps cross-site forms out
    await webchat_limits.check(request, hub, visitor)
    message = webchat.parse_inbound(await read_body(request, hub.settings.max_body_bytes), visitor)
    await accept(message, hub)
    return {"status": "accepted", "client_id": webchat.local_id(visitor, message.external_id) or ""}


@router.get("/events")
async def events(request: Request, hub: HubDep) -> StreamingResponse:
    """Server-sent events: the session's history, its conversation's state, then whatever happens next."""
    visitor = webchat.verify_visitor(request.cookies.get(COOKIE), _secret(hub))
    body = webchat_stream.events(hub, visitor, hub.settings.webchat_keepalive_seconds)
    return StreamingResponse(body, media_type="text/event-stream",
                             headers={"cache-control": "no-store", "x-accel-buffering": "no"})
