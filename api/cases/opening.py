"""'Open a case' from a conversation, for operators: `GET /cases/new?conversation=<id>` shows the form
(the inbox links to it), `POST /cases/new` opens the case (or finds the open one it duplicates) and
goes to its page. Resending the form (same key) opens nothing new."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from api.cases.rendering import page_errors, render
from api.cases.viewer import OpenerUser, actor
from api.cases.views import Option
from api.deps import HubDep
from api.inbox.access import visible_conversation
from api.templating import request_lang, translator
from hub.cases import STORE_LINK, case_config, service
from hub.core import Hub
from models.conversations import Priority
from models.errors import PayloadError
from models.ids import ConversationId, new_id
from models.staff import User

router = APIRouter()
_FIELD_KEYS = {"store_id": "cases.new.store", "order_id": "cases.new.order"}  # the form's own labels
ConversationParam = Annotated[str, Query(alias="conversation", min_length=1, max_length=64)]


class NewCaseForm(BaseModel):
    """What the operator entered (kept when the form comes back with an error)."""

    conversation: str
    request_type: str = ""
    description: str = ""
    store_id: str = ""
    order_id: str = ""
    priority: str = Priority.NORMAL.value
    key: str


class NewCaseView(BaseModel):
    """The form page."""

    form: NewCaseForm
    customer: str
    types: list[Option]
    priorities: list[Option]
    error: str = ""


async def _form_page(request: Request, hub: Hub, user: User, form: NewCaseForm, *, error: str = "",
                     status_code: int = 200) -> HTMLResponse:
    conversation = await visible_conversation(hub, user, form.conversation)
    customer = await hub.stores.customers.get(conversation.customer_id)
    t, lang = translator(request), request_lang(request)
    types = case_config(hub).catalogue.types.values()
    view = NewCaseView(
        form=form, customer=customer.name or t("cases.page.customer_unnamed"), error=error,
        types=[Option(value=k.id, label=_type_label(t, k.name(lang), k.required), selected=k.id == form.request_type)
               for k in types],
        priorities=[Option(value=p.value, label=t(f"cases.priority.{p.value}"), selected=p.value == form.priority)
                    for p in Priority],
    )
    return render(request, "new.html", {"view": view}, status_code=status_code)


def _type_label(t: Callable[..., str], name: str, required: Iterable[str]) -> str:
    """"Price tag mismatch (needs: store number)": the fields a type needs by their names on the form."""
    fields = [t(_FIELD_KEYS[f]) if f in _FIELD_KEYS else f for f in required]
    return f"{name} ({t('cases.new.needs', fields=', '.join(fields).lower())})" if fields else name


@router.get("/new", response_class=HTMLResponse)
async def new_case_form(request: Request, hub: HubDep, user: OpenerUser, conversation: ConversationParam) -> Response:
    """The form, with the store a deep link named already filled in."""

    async def run() -> Response:
        found = await visible_conversation(hub, user, conversation)
        linked = STORE_LINK.match(found.deep_link or "")  # a QR code at the till named the store
        return await _form_page(request, hub, user, NewCaseForm(
            conversation=conversation, store_id=linked.group(1) if linked else "", key=new_id()))

    return await page_errors(request, run)


@router.post("/new")
async def open_from_conversation(
    request: Request, hub: HubDep, user: OpenerUser,
    conversation: Annotated[str, Form(min_length=1, max_length=64)],
    request_type: Annotated[str, Form(min_length=1, max_length=64)],
    description: Annotated[str, Form(min_length=1, max_length=20_000)],
    key: Annotated[str, Form(min_length=8, max_length=64, pattern=r"^[\w-]+$")],
    store_id: Annotated[str, Form(max_length=32)] = "", order_id: Annotated[str, Form(max_length=64)] = "",
    priority: Annotated[Priority, Form()] = Priority.NORMAL,
) -> Response:
    """Open the case and go to its page; a form with a problem comes back with it (422)."""
    form = NewCaseForm(conversation=conversation, request_type=request_type, description=description,
                       store_id=store_id, order_id=order_id, priority=priority.value, key=key)
    opener_key = f"web:{user.id}:{key}"

    async def run() -> Response:
        await visible_conversation(hub, user, conversation)
        try:
            case, _ = await service.open_case(
                hub, conversation_id=ConversationId(conversation), request_type=request_type,
                description=description, store_id=store_id.strip() or None, order_id=order_id.strip() or None,
                priority=priority, actor=actor(user), key=opener_key)
        except PayloadError as e:
            return await _form_page(request, hub, user, form, error=e.reason, status_code=422)
        linked = case.key != opener_key  # the shopper's open case of this kind, not the one this form opened
        return RedirectResponse(f"/cases/{case.id}" + ("?linked=1" if linked else ""), status_code=303)

    return await page_errors(request, run)
