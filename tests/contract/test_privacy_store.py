"""The privacy store contract (hub/privacy/store.py), run over every adapter: the audit log, whole-customer
reads, erasure across every collection, and retention's ordered scan."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.stores import anonymise
from hub.stores.base import Stores
from hub.stores.dialog_state import SavedDialogState
from models.cases import Case, CaseAttachment, CaseComment, CaseSla
from models.channels import Channel
from models.claims import Claim
from models.conversations import Conversation, ConversationEvent
from models.customers import Customer, Identity, IdentityKind
from models.ids import ConversationId, CustomerId
from models.messages import Attachment, AuthorKind, Direction, Message
from models.nlu import ParseResult
from models.privacy import ERASED, AuditEntry, AuditQuery, ReadKind

T0 = datetime(2026, 5, 4, 10, 0, 0, 123000, tzinfo=UTC)
PHONE = Identity(kind=IdentityKind.PHONE, value="+79161234567")
TELEGRAM = Identity(kind=IdentityKind.TELEGRAM, value="5551")
FILE = "ab" + "1" * 62


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def message(conv: Conversation, n: int, *, chat: str = "5551") -> Message:
    return Message(
        conversation_id=conv.id, customer_id=conv.customer_id, direction=Direction.INBOUND,
        author=AuthorKind.CUSTOMER, author_name="Анна Петрова", channel=Channel.TELEGRAM, account_id="tg",
        external_id=f"{chat}:{n}", text=f"Мой телефон +79161234567, заказ {n}", sent_at=at(n), created_at=at(n),
        raw={"from": {"id": 5551, "first_name": "Анна"}}, edits=["старый текст"],
        attachments=[Attachment(kind="image", file_id=FILE, name="чек.jpg")],
        nlu=ParseResult(text="заказ", intent="order_status", confidence=0.9, engine="test"),
    )


async def a_customer_with_everything(
    stores: Stores, name: str = "Анна Петрова", identities: tuple[Identity, ...] = (PHONE, TELEGRAM),
) -> tuple[Customer, Conversation]:
    """A customer with identities, a resolved conversation with notes, messages, a case, a claim, a dialog state."""
    customer = Customer(name=name, identities=list(identities), attributes={"city": "Казань"}, created_at=T0)
    await stores.customers.create(customer)
    conv = Conversation.open(customer.id, Channel.TELEGRAM, "tg", at=T0)
    conv.outcome, conv.handover_note = "Вернули 500 ₽ Анне", "Анна ждёт возврат"
    conv.history.append(ConversationEvent(at=at(1), kind="note", note="звонила с +79161234567"))
    await stores.conversations.create(conv)
    for n in (1, 2, 3):
        assert await stores.messages.add(message(conv, n, chat=identities[-1].value))
    await stores.cases.create(Case(
        number=await stores.cases.next_number(), conversation_id=conv.id, customer_id=customer.id,
        channel=Channel.TELEGRAM, request_type="refund", store_id="118", description="Анна, чек 4512",
        fields={"phone": "+79161234567"}, group="store:118", created_at=T0, updated_at=T0, sla=CaseSla(),
        order_id="4512", attachments=[CaseAttachment(name="чек.jpg", file_id="c" * 32)],
        comments=[CaseComment(author="petr", text="клиентка Анна перезвонит")]))
    await stores.claims.note(Claim(customer_id=customer.id, identity=Identity(kind=IdentityKind.EMAIL,
                                   value="anna@example.ru"), channel=Channel.TELEGRAM, first_at=T0, last_at=T0))
    assert await stores.dialog_states.save(SavedDialogState(conversation_id=conv.id, version=1,
                                                            data={"slots": {"phone": "+79161234567"}}),
                                           expected_version=0)
    return customer, conv


async def test_erasure_anonymises_every_collection_and_keeps_the_counts(stores: Stores) -> None:
    customer, conv = await a_customer_with_everything(stores)
    other, other_conv = await a_customer_with_everything(stores, "Борис", (Identity(kind=IdentityKind.TELEGRAM,
                                                                                      value="7777"),))
    erased = await stores.privacy.erase(customer, at=at(60))

    after = await stores.customers.get(customer.id)
    messages = await stores.messages.list_for_customer(customer.id)
    conversation = await stores.conversations.get(conv.id)
    [case] = await stores.privacy.cases_of(customer.id)
    assert (after.name, after.identities, after.attributes) == (None, [], {anonymise.ERASED_AT: at(60).isoformat()})
    assert await stores.customers.find_by_identity(PHONE) is None
    assert len(messages) == 3 and {m.text for m in messages} == {ERASED}
    assert all(m.attachments == [] and m.raw == {} and m.edits == [] and m.author_name is None for m in messages)
    assert all(m.nlu is not None and m.nlu.intent == "order_status" and m.nlu.text == ERASED for m in messages)
    assert await stores.messages.find_external(Channel.TELEGRAM, "tg", Direction.INBOUND, "5551:1") is None
    assert (conversation.outcome, conversation.handover_note) == (ERASED, ERASED)
    assert conversation.history[-1].note == ERASED and conversation.version == conv.version + 1
    assert (case.description, case.fields, case.order_id, case.attachments) == (ERASED, {}, None, [])
    assert [c.text for c in case.comments] == [ERASED] and case.store_id == "118"
    assert await stores.claims.of_customer(customer.id) == []
    assert await stores.dialog_states.get(conv.id) is None
    assert (erased.messages, erased.conversations, erased.cases, erased.claims, erased.identities,
            erased.dialog_states) == (3, 1, 1, 1, 2, 1)
    assert sorted(erased.files) == sorted([FILE] * 3 + [f"{case.id}/{'c' * 32}"])
    # Everyone else is untouched.
    assert (await stores.customers.get(other.id)).name == "Борис"
    assert {m.text for m in await stores.messages.list_for_customer(other.id)} != {ERASED}
    assert (await stores.conversations.get(other_conv.id)).outcome == "Вернули 500 ₽ Анне"
    # The identities are free again: the same phone may start a new customer.
    await stores.customers.create(Customer(name=None, identities=[PHONE], created_at=at(61)))


async def test_erasing_again_changes_nothing_more(stores: Stores) -> None:
    customer, _ = await a_customer_with_everything(stores)
    await stores.privacy.erase(customer, at=at(60))
    again = await stores.privacy.erase(await stores.customers.get(customer.id), at=at(61))
    assert (again.messages, again.conversations, again.cases, again.claims, again.identities) == (0, 0, 0, 0, 0)
    assert len(await stores.messages.list_for_customer(customer.id)) == 3


async def test_erasure_reaches_customers_merged_into_the_erased_one(stores: Stores) -> None:
    survivor, _ = await a_customer_with_everything(stores)
    merged = Customer(name="Анна (старый профиль)", merged_into=survivor.id, created_at=T0)
    await stores.customers.create(merged)
    await stores.privacy.erase(survivor, at=at(60))
    assert (await stores.customers.get(merged.id)).name is None


async def test_whole_customer_reads_page_in_stored_order(stores: Stores) -> None:
    customer, conv = await a_customer_with_everything(stores)
    first = await stores.privacy.messages_of(customer.id, after=0, limit=2)
    rest = await stores.privacy.messages_of(customer.id, after=first[-1][0], limit=2)
    assert [m.external_id for _, m in first + rest] == ["5551:1", "5551:2", "5551:3"]
    assert [c.id for c in await stores.privacy.conversations_of(customer.id)] == [conv.id]
    assert await stores.privacy.messages_of(CustomerId("nobody"), after=0, limit=5) == []


async def test_retention_scan_walks_every_message_in_order_and_writes_changes_back(stores: Stores) -> None:
    _, conv = await a_customer_with_everything(stores)
    _, conv2 = await a_customer_with_everything(stores, "Борис", (Identity(kind=IdentityKind.TELEGRAM,
                                                                           value="7777"),))
    page = await stores.privacy.messages_after(0, limit=4)
    tail = await stores.privacy.messages_after(page[-1][0], limit=4)
    assert [m.conversation_id for _, m in page + tail] == [conv.id] * 3 + [conv2.id] * 3
    changed = [anonymise.without_files(m) for _, m in page[:2]]
    await stores.privacy.replace_messages(changed)
    stored = await stores.messages.list_for_conversation(ConversationId(conv.id))
    assert [len(m.attachments) for m in stored] == [0, 0, 1]
    assert [m.text for m in stored] == [m.text for _, m in page[:3]]


async def test_audit_entries_are_found_by_customer_actor_kind_and_time_newest_first(stores: Stores) -> None:
    entries = [
        AuditEntry(at=at(1), actor="user:anna", customer_id="c-1", kind=ReadKind.PANEL_VIEW, via="/inbox/x"),
        AuditEntry(at=at(2), actor="api:crm", customer_id="c-1", kind=ReadKind.API_READ, via="/api/v1/customers/c-1"),
        AuditEntry(at=at(3), actor="user:anna", customer_id="c-2", kind=ReadKind.EXPORT, via="/api/v1/x"),
    ]
    for entry in [*entries, entries[0]]:  # the same entry twice is kept once
        await stores.privacy.record(entry)
    search = stores.privacy.search
    assert [e.id for e in await search(AuditQuery())] == [entries[2].id, entries[1].id, entries[0].id]
    assert [e.id for e in await search(AuditQuery(customer_id="c-1"))] == [entries[1].id, entries[0].id]
    assert [e.id for e in await search(AuditQuery(actor="user:anna"))] == [entries[2].id, entries[0].id]
    assert [e.id for e in await search(AuditQuery(kind=ReadKind.API_READ))] == [entries[1].id]
    assert [e.id for e in await search(AuditQuery(since=at(2), until=at(3)))] == [entries[1].id]
    assert [e.id for e in await search(AuditQuery(limit=1))] == [entries[2].id]
    assert (await search(AuditQuery(customer_id="c-2")))[0] == entries[2]
