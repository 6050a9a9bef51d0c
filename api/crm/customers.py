"""Customers: find by any identity, read, upsert, update attributes, merge."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import ValidationError

from api.crm.deps import CONFLICT, NOT_FOUND, CustomersRead, CustomersWrite, actor
from api.crm.schemas import CustomerPublic, CustomerUpdate, CustomerUpsert, MergeRequest
from api.deps import HubDep
from hub import privacy
from hub.customers import profiles
from models.customers import Customer, Identity, IdentityKind
from models.errors import PayloadError
from models.ids import CustomerId
from models.privacy import ReadKind

router = APIRouter(tags=["customers"])
CustomerIdPath = Annotated[str, Path(min_length=1, max_length=64, description="A customer id (merged ones redirect)")]


def public(customer: Customer) -> CustomerPublic:
    """The HTTP shape of a customer."""
    return CustomerPublic.model_validate(customer, from_attributes=True)


def _identity(kind: str, value: str) -> Identity:
    try:
        return Identity(kind=IdentityKind(kind), value=value)
    except ValueError as e:  # a ValidationError is a ValueError too
        reason = e.errors()[0]["msg"] if isinstance(e, ValidationError) else str(e)
        raise PayloadError(f"{kind}: {reason}") from e


def _selected(given: dict[str, str | None], identity: str | None) -> Identity:
    chosen = {k: v for k, v in given.items() if v is not None}
    if identity is not None:
        kind, _, value = identity.partition(":")
        chosen[kind] = value
    if len(chosen) != 1:
        raise PayloadError("name exactly one of phone, email, telegram, whatsapp, viber or identity=kind:value")
    [(kind, value)] = chosen.items()
    if kind not in {k.value for k in IdentityKind}:
        raise PayloadError(f"identity: unknown kind {kind!r}; one of {', '.join(k.value for k in IdentityKind)}")
    return _identity(kind, value)


def _selector(example: str) -> Any:
    return Query(min_length=1, max_length=320, examples=[example])


@router.get("/customers", response_model=CustomerPublic, responses=NOT_FOUND,
            summary="Find a customer by phone, e-mail or messenger id")
async def find_customer(
    request: Request, hub: HubDep, token: CustomersRead,
    phone: Annotated[str | None, _selector("+79161234567")] = None,
    email: Annotated[str | None, _selector("anna@example.ru")] = None,
    telegram: Annotated[str | None, _selector("123456789")] = None,
    whatsapp: Annotated[str | None, _selector("+79161234567")] = None,
    viber: Annotated[str | None, _selector("01234567890A=")] = None,
    identity: Annotated[str | None, Query(min_length=3, max_length=400, examples=["api:crm:u-1001"],
                                          description="kind:value for any identity kind")] = None,
) -> CustomerPublic:
    """Name exactly one identity; phone numbers are normalized (8 916… and +7 916… are the same)."""
    given = {"phone": phone, "email": email, "telegram": telegram, "whatsapp": whatsapp, "viber": viber}
    found = await profiles.lookup(hub, _selected(given, identity))
    await privacy.record_read(hub, actor=actor(token), customer_id=found.id, kind=ReadKind.API_READ,
                              via=f"{request.method} {request.url.path}")
    return public(found)


@router.post("/customers", response_model=CustomerPublic, responses={
    201: {"model": CustomerPublic, "description": "No identity was known: the customer was created"},
    **CONFLICT}, summary="Create or update a customer found by identities")
async def upsert_customer(body: CustomerUpsert, response: Response, hub: HubDep, _: CustomersWrite) -> CustomerPublic:
    """The customer any of the identities belongs to gets the others linked and the attributes merged in;
    if none is known, a customer is created (201). 409 when they belong to different customers."""
    customer, created = await profiles.upsert(hub, body.identities, name=body.name, attributes=body.attributes)
    response.status_code = 201 if created else 200
    return public(customer)


@router.get("/customers/{customer_id}", response_model=CustomerPublic, responses=NOT_FOUND,
            summary="Read a customer")
async def get_customer(
    request: Request, customer_id: CustomerIdPath, hub: HubDep, token: CustomersRead,
) -> CustomerPublic:
    """A merged customer's id answers with the customer it was merged into."""
    found = await profiles.current(hub, CustomerId(customer_id))
    await privacy.record_read(hub, actor=actor(token), customer_id=found.id, kind=ReadKind.API_READ,
                              via=f"{request.method} {request.url.path}")
    return public(found)


@router.patch("/customers/{customer_id}", response_model=CustomerPublic, responses=NOT_FOUND,
              summary="Update profile attributes")
async def update_customer(
    customer_id: CustomerIdPath, body: CustomerUpdate, hub: HubDep, _: CustomersWrite
) -> CustomerPublic:
    """Merge the attributes in; null removes a key."""
    return public(await profiles.update_attributes(hub, CustomerId(customer_id), body.attributes))


@router.post("/customers/{customer_id}/merge", response_model=CustomerPublic, responses={**NOT_FOUND, **CONFLICT},
             summary="Merge another customer into this one")
async def merge_customers(
    customer_id: CustomerIdPath, body: MergeRequest, hub: HubDep, token: CustomersWrite
) -> CustomerPublic:
    """The other customer's identities and conversations move here and an event `customer.merged` is
    published; its id keeps answering with this customer. If both have a conversation that is not closed,
    the one still open is kept and the other closed with a note (409 if that one is with an operator).
    Repeating a merge finishes it."""
    merged = await profiles.merge(hub, CustomerId(customer_id), CustomerId(body.merged), actor=actor(token))
    return public(merged)
