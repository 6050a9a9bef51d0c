"""Personal-data requests through the API (/api/v1): export one customer, erase one, search the audit log.

Each has its own scope, granted to no token by default: `customers:export`, `customers:erase`, `audit:read`.
Exports and erasures are written to the audit log with the token's name; erasure tells subscribers through
the `customer.erased` webhook event.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel

from api.auth import require
from api.crm.deps import NOT_FOUND, actor
from api.deps import HubDep
from api.privacy_export import export_html
from hub import privacy
from models.ids import CustomerId
from models.privacy import AuditEntry, AuditQuery, CustomerExport, ReadKind
from models.tokens import ApiToken, Scope

router = APIRouter(tags=["personal data"])
CustomersExport = Annotated[ApiToken, Depends(require(Scope.CUSTOMERS_EXPORT))]
CustomersErase = Annotated[ApiToken, Depends(require(Scope.CUSTOMERS_ERASE))]
AuditRead = Annotated[ApiToken, Depends(require(Scope.AUDIT_READ))]
CustomerIdPath = Annotated[str, Path(min_length=1, max_length=64, description="A customer id (merged ones redirect)")]


class ErasurePublic(BaseModel):
    """What an erasure changed (all zero when it was done before)."""

    customer_id: str
    messages: int
    conversations: int
    cases: int
    claims: int
    identities: int


class AuditPage(BaseModel):
    """Audit entries, newest first."""

    entries: list[AuditEntry]


@router.get("/customers/{customer_id}/export", response_model=CustomerExport, responses={
    **NOT_FOUND, 200: {"content": {"text/html": {}}, "description": "JSON, or HTML with format=html"}},
    summary="Export everything about one customer")
async def export_customer(
    request: Request, customer_id: CustomerIdPath, hub: HubDep, token: CustomersExport,
    kind: Annotated[Literal["json", "html"], Query(alias="format",
                                                   description="json (default) or a readable html page")] = "json",
) -> Response:
    """Profile, identities, unproven claims, every conversation with its messages, and cases; the export is
    recorded in the audit log."""
    export = await privacy.export_customer(hub, CustomerId(customer_id), actor=actor(token),
                                           via=f"{request.method} {request.url.path}")
    disposition = {"content-disposition": f'attachment; filename="customer-{export.customer.id}.{kind}"'}
    if kind == "html":
        return HTMLResponse(export_html(export), headers=disposition)
    return Response(export.model_dump_json(), media_type="application/json", headers=disposition)


@router.post("/customers/{customer_id}/erase", response_model=ErasurePublic, responses=NOT_FOUND,
             summary="Erase one customer's personal data everywhere")
async def erase_customer(
    request: Request, customer_id: CustomerIdPath, hub: HubDep, token: CustomersErase,
) -> ErasurePublic:
    """Profile, identities, claims and the bot's memory go; message, note, outcome and case texts become
    "erased", so counts and reports stay as they were; files are deleted. A `customer.erased` event follows.
    Repeating it changes nothing more."""
    erased = await privacy.erase_customer(hub, CustomerId(customer_id), actor=actor(token),
                                          via=f"{request.method} {request.url.path}")
    return ErasurePublic.model_validate(erased, from_attributes=True)


@router.get("/privacy/audit", response_model=AuditPage, summary="Who read which customer's data")
async def search_audit(
    hub: HubDep, _: AuditRead,
    customer_id: Annotated[str | None, Query(max_length=64)] = None,
    actor_name: Annotated[str | None, Query(alias="actor", max_length=200,
                                            description="user:<id>, api:<token name> or cli")] = None,
    kind: ReadKind | None = None,
    since: datetime | None = None, until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AuditPage:
    """Entries matching every filter given, newest first."""
    query = AuditQuery(customer_id=customer_id, actor=actor_name, kind=kind, since=since, until=until, limit=limit)
    return AuditPage(entries=await privacy.search_audit(hub, query))
