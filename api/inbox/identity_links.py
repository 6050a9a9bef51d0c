"""An operator links a contact the customer only claimed: they checked it is the same person.

The conversation's panel lists the customer's claims as "claimed, not verified"; the operator holding the
conversation (or a supervisor) may link one. The link is written into the conversation's history and
announced with the operator's id (`hub.customers.claims.link_by_operator`); if another customer owns the contact,
the two are merged into that one.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from api.deps import HubDep
from api.inbox.access import InboxUser, visible_conversation
from api.inbox.rendering import render
from api.web_auth import wants_page
from hub.customers import claims
from models.conversations import OPEN_STATES
from models.errors import Forbidden, OtklikError

router = APIRouter(prefix="/inbox", tags=["inbox"], include_in_schema=False)
IdentityKey = Annotated[str, Form(min_length=3, max_length=340, pattern=r"^(phone|email):\S+$")]


@router.post("/conversations/{conversation_id}/claims/link")
async def link_claim(request: Request, hub: HubDep, user: InboxUser, conversation_id: str,
                     identity: IdentityKey) -> Response:
    """Link the customer's claimed `identity` (e.g. `phone:+79161234567`); 404 if they never claimed it."""
    try:
        conversation = await visible_conversation(hub, user, conversation_id)
        if conversation.state not in OPEN_STATES:
            raise Forbidden(f"conversation {conversation.id} is {conversation.state}")
        if conversation.assignee != user.id and not user.oversees:
            raise Forbidden(f"conversation {conversation.id} is not assigned to you; claim it first")
        await claims.link_by_operator(hub, conversation.customer_id, identity, actor=user.id)
    except OtklikError as e:
        if not wants_page(request):
            raise
        return render(request, "error.html", {"status": e.status_code, "reason": e.reason}, status_code=e.status_code)
    return RedirectResponse(f"/inbox/conversations/{conversation_id}", status_code=303)
