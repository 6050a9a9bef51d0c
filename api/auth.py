"""API token authentication for the CRM REST API: `Authorization: Bearer otk_<id>_<secret>` and scopes.

Routes declare what they need: `token: Annotated[ApiToken, Depends(require(Scope.CUSTOMERS_READ))]`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request

from api.deps import HubDep
from hub.directory import tokens
from models.errors import Forbidden, SignatureError
from models.tokens import ApiToken, Scope


async def current_token(request: Request, hub: HubDep) -> ApiToken:
    """The request's live token; 401 when missing, malformed, unknown or revoked."""
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not presented:
        raise SignatureError("missing bearer token")
    token = await tokens.check(hub.stores.tokens, presented.strip())
    request.state.token = token
    return token


TokenDep = Annotated[ApiToken, Depends(current_token)]


def require(scope: Scope) -> Callable[[ApiToken], Awaitable[ApiToken]]:
    """A dependency that lets through tokens carrying `scope` (403 otherwise)."""

    async def check(token: TokenDep) -> ApiToken:
        if not token.allows(scope):
            raise Forbidden(f"token {token.name!r} lacks scope {scope.value}")
        return token

    return check
