"""The case page's view-model: the case with its people, SLA, files, comments, route map and history."""

from __future__ import annotations

from typing import TYPE_CHECKING

from api.cases.formatting import Translate, duration
from api.cases.present import Names, sla_view, type_name
from api.cases.reasons import Wording, groups_named, reason_text
from api.cases.viewer import may_take, works_on
from api.cases.views import (
    ActionView,
    AttachmentView,
    CasePageView,
    CommentView,
    CustomerView,
    HistoryView,
    HopView,
    Option,
)
from api.inbox.access import may_see
from api.local_time import zone_named
from hub.cases import route_map
from hub.files import MIME_BY_EXTENSION, size_text
from models.cases import Case, CaseAttachment, CaseState
from models.clock import utcnow
from models.customers import IdentityKind
from models.errors import NotFound
from models.staff import GroupKind, User, store_group_id

if TYPE_CHECKING:
    from hub.core import Hub

C = CaseState
CONTACT_KINDS = (IdentityKind.PHONE, IdentityKind.EMAIL)
MOVE_KINDS = (GroupKind.SPECIALIST, GroupKind.CONTACT_CENTRE, GroupKind.SUPERVISORS)


def actions_for(user: User, case: Case) -> ActionView:
    """What the viewer may do with the case in its present state."""
    works, open_ = works_on(user, case), case.is_open
    return ActionView(
        take=open_ and case.assignee != user.id and may_take(user, case),
        release=open_ and case.assignee == user.id,
        wait=works and open_ and case.state is not C.WAITING,
        resume=works and case.state is C.WAITING,
        solve=works and open_,
        close=works and case.state is not C.CLOSED,
        reopen=works and case.state in (C.SOLVED, C.CLOSED) and case.links.merged_into is None,
        move=works and open_, comment=True, attach=True,
    )


def attachment_url(case: Case, attachment: CaseAttachment) -> str | None:
    """Our download link for uploaded files; a kept-by-reference file's own http(s) URL; else none."""
    if attachment.url is None and attachment.file_id is None:
        return f"/cases/{case.id}/attachments/{attachment.id}"
    if attachment.url and attachment.url.lower().startswith(("https://", "http://")):
        return attachment.url  # never javascript: or data: from a channel payload
    return None


async def _customer(hub: Hub, case: Case, t: Translate) -> CustomerView:
    try:
        customer = await hub.stores.customers.get(case.customer_id)
    except NotFound:
        return CustomerView(name=t("cases.page.customer_unknown"), contacts=[], channel=case.channel.value)
    contacts = [i.value for i in customer.identities if i.kind in CONTACT_KINDS]
    return CustomerView(name=customer.name or t("cases.page.customer_unnamed"), contacts=contacts,
                        channel=case.channel.value)


async def _store(hub: Hub, case: Case) -> str:
    if case.store_id is None:
        return ""
    try:
        store = await hub.stores.directory.get_store(case.store_id)
    except NotFound:
        return ""
    return ", ".join(part for part in (store.name, store.address, store.phone) if part)


async def _groups(hub: Hub, case: Case) -> list[Option]:
    """Where the case may go: the specialist and contact-centre groups, and its store's queue."""
    found = [g for kind in MOVE_KINDS for g in await hub.stores.directory.list_groups(kind=kind)]
    options = [Option(value=g.id, label=g.name) for g in found if g.id != case.group]
    if case.store_id and case.group != store_group_id(case.store_id):
        queue = store_group_id(case.store_id)
        options.insert(0, Option(value=queue, label=await Names(hub).group(queue)))
    return options


async def _wording(hub: Hub, case: Case, names: Names, t: Translate, lang: str) -> Wording:
    """Type titles, the names of the groups the history's reasons name, and the configured zone."""
    named = groups_named((e.code, e.data) for e in case.history)
    return Wording(t=t, type_title=lambda request_type: type_name(hub, request_type, lang),
                   groups={g: await names.group(g) for g in sorted(named)}, zone=zone_named(hub.settings.timezone))


async def _route(hub: Hub, case: Case, names: Names, words: Wording) -> list[HopView]:
    t = words.t
    hops = await route_map(hub, case)
    return [HopView(
        group=await names.group(hop.group), assignee=await names.user(hop.assignee), entered=hop.entered_at,
        left=hop.left_at, spent=duration(hop.wall_seconds, t), working=duration(hop.working_seconds, t),
        reason=reason_text(hop.code, hop.reason, hop.data, words), current=hop.left_at is None,
    ) for hop in hops]


async def _history(case: Case, names: Names, words: Wording) -> list[HistoryView]:
    t, items = words.t, []
    for event in reversed(case.history):
        key = f"cases.event.{event.kind}"
        what = t(key, state=t(f"cases.state.{event.to_state.value}") if event.to_state else "",
                 group=await names.group(event.group) if event.group else "", assignee=await names.user(event.assignee))
        items.append(HistoryView(at=event.at, actor=await names.actor(event.actor),
                                 reason=reason_text(event.code, event.reason, event.data, words),
                                 what=event.kind if what == key else what))  # a kind newer than our strings
    return items


async def case_page_view(hub: Hub, case: Case, user: User, t: Translate, lang: str) -> CasePageView:
    """Everything the case page shows, for this viewer."""
    names = Names(hub)
    settings = hub.settings
    words = await _wording(hub, case, names, t, lang)
    conversation_url = None
    try:
        conversation = await hub.stores.conversations.get(case.conversation_id)
        if may_see(user, conversation):
            conversation_url = f"/inbox/conversations/{conversation.id}"
    except NotFound:
        pass
    return CasePageView(
        id=case.id, label=case.label, request_type=type_name(hub, case.request_type, lang), state=case.state.value,
        state_label=t(f"cases.state.{case.state.value}"),
        waiting_for=t(f"cases.waiting.{case.waiting_for.value}") if case.waiting_for else "",
        priority=case.priority.value, priority_label=t(f"cases.priority.{case.priority.value}"),
        description=case.description, store=case.store_id or "", store_detail=await _store(hub, case),
        group=await names.group(case.group), assignee=await names.user(case.assignee), opened=case.created_at,
        opened_by=await names.actor(case.created_by), solution=case.solution or "",
        fields=[(k, str(v)) for k, v in sorted(case.fields.items())] + (
            [("order_id", case.order_id)] if case.order_id else []),
        conversation_url=conversation_url, customer=await _customer(hub, case, t), sla=sla_view(case, utcnow(), t),
        attachments=[AttachmentView(
            name=a.name, size=size_text(a.size), added_by=await names.actor(a.added_by), at=a.added_at,
            url=attachment_url(case, a)) for a in case.attachments],
        comments=[CommentView(author=await names.actor(c.author), at=c.at, text=c.text)
                  for c in case.comments],
        route=await _route(hub, case, names, words), history=await _history(case, names, words),
        actions=actions_for(user, case), groups=await _groups(hub, case),
        links=await _links(hub, case, t),
        max_file=size_text(settings.case_file_max_bytes),  # the attachment route has its own body limit
        file_types=", ".join(ext for ext in settings.case_file_types if ext in MIME_BY_EXTENSION),
    )


async def _links(hub: Hub, case: Case, t: Translate) -> list[tuple[str, str, str]]:
    """Related cases: (what they are to this one, their label, their page)."""
    links = case.links
    pairs = [("duplicate_of", links.duplicate_of), ("merged_into", links.merged_into)]
    pairs += [("duplicate", c) for c in links.duplicates] + [("merged", c) for c in links.merged]
    found = []
    for kind, target in pairs:
        if target:
            try:
                label = (await hub.stores.cases.get(target)).label
            except NotFound:
                label = target
            found.append((t(f"cases.link.{kind}"), label, f"/cases/{target}"))
    return found
