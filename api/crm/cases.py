"""Cases in the CRM API: open, read, list (filters, cursor pages), change, move, comment, attach, merge,
and the route map. Scopes `cases:read` and `cases:write`; a case is named by its id or its number."""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Response

from api.auth import require
from api.crm import pagination
from api.crm.case_schemas import (
    AttachmentCreate,
    CaseCreate,
    CasePage,
    CasePublic,
    CaseUpdate,
    CommentCreate,
    MergeRequest,
    RelateRequest,
    RouteMapPublic,
    TransitionRequest,
)
from api.crm.deps import CONFLICT, NOT_FOUND, Responses, actor, scoped_key
from api.crm.schemas import ErrorBody
from api.deps import HubDep
from hub.cases import service
from hub.stores.cases import CaseOrder, CasePosition, CaseQuery
from models.cases import Case, CaseAttachment, CaseSource, CaseState
from models.errors import PayloadError
from models.ids import ConversationId, CustomerId
from models.tokens import ApiToken, Scope

router = APIRouter(tags=["cases"])
CasesRead = Annotated[ApiToken, Depends(require(Scope.CASES_READ))]
CasesWrite = Annotated[ApiToken, Depends(require(Scope.CASES_WRITE))]
CaseRef = Annotated[str, Path(min_length=1, max_length=64, description="A case id, or its number (1042 or #1042)")]
Text = Annotated[str | None, Query(min_length=1, max_length=100)]
INVALID: Responses = {422: {"model": ErrorBody,
                             "description": "Unknown type or store, a required field missing, a bad user"}}


def public(case: Case) -> CasePublic:
    """The HTTP shape of a case."""
    return CasePublic.model_validate({**case.model_dump(exclude={"key"}), "label": case.label})


def _encode(order: CaseOrder, at: CasePosition) -> str:
    raw = json.dumps({"o": order, "f": at.done, "u": at.urgency, "d": at.due, "n": at.number})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str, order: CaseOrder) -> CasePosition:
    """The position a cursor names; PayloadError for one we did not hand out (or for another order)."""
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        at = CasePosition(int(raw["f"]), int(raw["u"]), str(raw["d"]), int(raw["n"]))
        same_order = raw["o"] == order
    except (ValueError, TypeError, KeyError, binascii.Error) as e:
        raise PayloadError("cursor: not a cursor this API returned") from e
    if not same_order:
        raise PayloadError(f"cursor: it pages another order than {order}")
    return at


@router.post("/cases", response_model=CasePublic, status_code=201,
             responses={200: {"model": CasePublic, "description": "A repeat of the key, or the shopper's open case "
                              "of the same type and store/order (the new one is linked to it as a duplicate)"},
                        **NOT_FOUND, **CONFLICT, **INVALID}, summary="Open a case from a conversation")
async def create_case(body: CaseCreate, response: Response, hub: HubDep, token: CasesWrite) -> CasePublic:
    """Routed by the request type's rules to a group or the store's queue, with its SLA in working hours."""
    attachments = [CaseAttachment(**a.model_dump(exclude={"idempotency_key"}), added_by=actor(token))
                   for a in body.attachments]
    case, created = await service.open_case(
        hub, conversation_id=ConversationId(body.conversation_id), request_type=body.request_type,
        description=body.description, store_id=body.store_id, order_id=body.order_id, priority=body.priority,
        fields=body.fields, attachments=attachments, actor=actor(token), source=CaseSource.API,
        key=scoped_key(token, "case", body.idempotency_key))
    response.status_code = 201 if created else 200
    return public(case)


@router.get("/cases", response_model=CasePage, summary="List cases, filtered, page by page")
async def list_cases(
    hub: HubDep, _: CasesRead,
    state: Annotated[list[CaseState] | None, Query(description="Repeat for several states")] = None,
    group: Annotated[list[str] | None, Query(max_length=50, description="Repeat for several groups")] = None,
    store: Text = None, customer: Text = None, conversation: Text = None, assignee: Text = None,
    request_type: Text = None,
    open: Annotated[bool, Query(description="Only new, in progress and waiting cases")] = False,  # noqa: A002
    breached: bool | None = None,
    order: Annotated[Literal["queue", "newest"], Query(description="queue: urgent, then earliest deadline")] = "queue",
    cursor: Annotated[str | None, Query(min_length=1, max_length=1000, description="next_cursor of a page")] = None,
    limit: Annotated[int, Query(ge=1, le=pagination.MAX_LIMIT)] = pagination.DEFAULT_LIMIT,
) -> CasePage:
    """Queue order (most urgent priority, then the earliest deadline) or the newest first."""
    query = CaseQuery(
        groups=None if group is None else frozenset(group), store_id=store,
        customer_id=None if customer is None else CustomerId(customer),
        conversation_id=None if conversation is None else ConversationId(conversation), assignee=assignee,
        request_type=request_type, states=frozenset(state or ()), open_only=open, breached=breached)
    after = None if cursor is None else _decode(cursor, order)
    found = await hub.stores.cases.find(query, order=order, after=after, limit=limit + 1)
    items = found[:limit]
    more = len(found) > limit
    return CasePage(items=[public(c) for c in items],
                    next_cursor=_encode(order, service.position(items[-1])) if more else None)


@router.get("/cases/{case_ref}", response_model=CasePublic, responses=NOT_FOUND, summary="Read a case")
async def get_case(case_ref: CaseRef, hub: HubDep, _: CasesRead) -> CasePublic:
    """With its comments, attachments, SLA clock, links and full history."""
    return public(await service.get_case(hub, case_ref))


@router.patch("/cases/{case_ref}", response_model=CasePublic, responses={**NOT_FOUND, **CONFLICT, **INVALID},
              summary="Change priority, description, fields, assignee or group")
async def update_case(case_ref: CaseRef, body: CaseUpdate, hub: HubDep, token: CasesWrite) -> CasePublic:
    """Each change is recorded in the history with the token as who and `reason` as why."""
    case = await service.get_case(hub, case_ref)
    given, who = body.model_fields_set, actor(token)
    if "group" in given:
        if body.group is None or not (body.reason or "").strip():
            raise PayloadError("group: a group id and a reason are needed to move a case")
        case = await service.move_to_group(hub, case.id, body.group, actor=who, reason=body.reason or "")
    if given & {"priority", "description", "fields"}:
        case = await service.update_details(hub, case.id, actor=who, priority=body.priority,
                                            description=body.description, fields=body.fields)
    if "assignee" in given:
        case = await service.assign(hub, case.id, body.assignee, actor=who, reason=body.reason)
    return public(case)


@router.post("/cases/{case_ref}/transitions", response_model=CasePublic, responses={**NOT_FOUND, **CONFLICT, **INVALID},
             summary="Change the state: in progress, waiting, solved, closed, reopened")
async def transition_case(case_ref: CaseRef, body: TransitionRequest, hub: HubDep, token: CasesWrite) -> CasePublic:
    """Solving sends the solution to the operator's conversation (internal note) and to the shopper through
    their channel; it needs `solution` and `idempotency_key`, and a repeat sends nothing twice."""
    case, who = await service.get_case(hub, case_ref), actor(token)
    if body.to == "reopened":
        return public(await service.reopen(hub, case.id, actor=who, reason=body.reason or ""))
    if body.to is CaseState.SOLVED:
        if body.solution is None or body.idempotency_key is None:
            raise PayloadError("solved: needs solution and idempotency_key")
        return public(await service.solve(hub, case.id, body.solution, actor=who, notify=body.notify,
                                          key=scoped_key(token, "case-solve", body.idempotency_key)))
    return public(await service.transition(hub, case.id, body.to, actor=who, reason=body.reason,
                                           waiting_for=body.waiting_for))


@router.post("/cases/{case_ref}/comments", response_model=CasePublic, status_code=201,
             responses={**NOT_FOUND, **INVALID}, summary="Add a staff comment")
async def comment_case(case_ref: CaseRef, body: CommentCreate, hub: HubDep, token: CasesWrite) -> CasePublic:
    """Never shown to the shopper; repeating the idempotency key adds nothing."""
    case = await service.get_case(hub, case_ref)
    key = None if body.idempotency_key is None else scoped_key(token, "case-comment", body.idempotency_key)
    updated, _ = await service.comment(hub, case.id, body.text, actor=actor(token), key=key)
    return public(updated)


@router.post("/cases/{case_ref}/attachments", response_model=CasePublic, status_code=201,
             responses={**NOT_FOUND, **INVALID}, summary="Attach a file by reference")
async def attach_to_case(case_ref: CaseRef, body: AttachmentCreate, hub: HubDep, token: CasesWrite) -> CasePublic:
    """A URL or a channel's file id, never the bytes; repeating the idempotency key attaches nothing more."""
    if body.url is None and body.file_id is None:
        raise PayloadError("attachment: give url or file_id")
    case = await service.get_case(hub, case_ref)
    extra = {}
    if body.idempotency_key is not None:
        scoped = scoped_key(token, "case-attachment", body.idempotency_key)
        extra["id"] = hashlib.sha256(scoped.encode()).hexdigest()[:12]
    attachment = CaseAttachment(**body.model_dump(exclude={"idempotency_key"}), **extra)
    return public(await service.add_attachment(hub, case.id, attachment, actor=actor(token)))


@router.post("/cases/{case_ref}/merge", response_model=CasePublic, responses={**NOT_FOUND, **CONFLICT, **INVALID},
             summary="Merge this case into another; answers the case that goes on")
async def merge_case(case_ref: CaseRef, body: MergeRequest, hub: HubDep, token: CasesWrite) -> CasePublic:
    """This case closes (merged_into), its comments and attachments move to the other; a repeat changes nothing."""
    source = await service.get_case(hub, case_ref)
    target = await service.get_case(hub, body.into)
    return public(await service.merge(hub, source.id, target.id, actor=actor(token), reason=body.reason))


@router.post("/cases/{case_ref}/related", response_model=CasePublic, responses={**NOT_FOUND, **INVALID},
             summary="Link another case as related")
async def relate_case(case_ref: CaseRef, body: RelateRequest, hub: HubDep, token: CasesWrite) -> CasePublic:
    """Both cases name each other under `links.related`; a repeat changes nothing."""
    case = await service.get_case(hub, case_ref)
    other = await service.get_case(hub, body.case)
    return public(await service.relate(hub, case.id, other.id, actor=actor(token)))


@router.get("/cases/{case_ref}/route", response_model=RouteMapPublic, responses=NOT_FOUND,
            summary="The route map: hops through groups and people with time spent")
async def case_route(case_ref: CaseRef, hub: HubDep, _: CasesRead) -> RouteMapPublic:
    """Wall-clock and working seconds (in each group's calendar) per hop; the last is open while the case is."""
    case = await service.get_case(hub, case_ref)
    return RouteMapPublic(case_id=case.id, number=case.number, hops=await service.route_map(hub, case))
