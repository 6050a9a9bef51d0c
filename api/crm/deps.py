"""What the CRM routes share: scope-checked token aliases, the actor name, scoped idempotency keys."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends

from api.auth import require
from api.crm.schemas import ErrorBody
from models.tokens import ApiToken, Scope

CustomersRead = Annotated[ApiToken, Depends(require(Scope.CUSTOMERS_READ))]
CustomersWrite = Annotated[ApiToken, Depends(require(Scope.CUSTOMERS_WRITE))]
ConversationsRead = Annotated[ApiToken, Depends(require(Scope.CONVERSATIONS_READ))]
ConversationsWrite = Annotated[ApiToken, Depends(require(Scope.CONVERSATIONS_WRITE))]
MessagesSend = Annotated[ApiToken, Depends(require(Scope.MESSAGES_SEND))]

Responses = dict[int | str, dict[str, Any]]
NOT_FOUND: Responses = {404: {"model": ErrorBody, "description": "No such customer or conversation"}}
CONFLICT: Responses = {409: {"model": ErrorBody, "description": "The current state forbids it; the reason says why"}}


def actor(token: ApiToken) -> str:
    """Who did it, as conversation histories and events record it."""
    return f"api:{token.name}"


def scoped_key(token: ApiToken, purpose: str, key: str) -> str:
    """A client's idempotency key in its own namespace: two integrations never collide, nor two kinds of request.

    Scoped by the token's name, not its id, so a retry after rotating the token still finds the first answer.
    """
    return f"crm:{token.name}:{purpose}:{key}"

