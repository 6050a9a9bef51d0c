"""Store ports. Adapters: `sqlite.py` (embedded default) and `mongo.py` (production).

Both pass `tests/contract/test_stores.py`; keep every promise below in both.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from hub.stores.cases import CaseStore
from hub.stores.claims import ClaimStore
from hub.stores.crm import CrmStore
from hub.stores.dialog_state import DialogStateStore
from hub.stores.directory import DirectoryStore
from hub.stores.inbox import InboxStore
from hub.stores.privacy import PrivacyStore
from hub.stores.webhooks import WebhookStore
from models.channels import Channel
from models.conversations import Conversation
from models.customers import Customer, Identity
from models.ids import ConversationId, CustomerId, MessageId
from models.messages import Attachment, DeliveryStatus, Direction, InboundTally, Message
from models.nlu import ParseResult
from models.sending import CursorStore
from models.tokens import ApiToken


class CustomerStore(Protocol):
    """Customers and the identities linked to them; an identity belongs to at most one customer."""

    async def get(self, customer_id: CustomerId) -> Customer:
        """The customer, or NotFound."""
        ...

    async def find_by_identity(self, identity: Identity) -> Customer | None:
        """The customer this identity is linked to, if any."""
        ...

    async def create(self, customer: Customer) -> None:
        """Insert a new customer; Conflict if one of its identities is already someone's."""
        ...

    async def link(self, customer_id: CustomerId, identity: Identity) -> None:
        """Link an identity; a no-op if it is already theirs, Conflict if it is another customer's."""
        ...

    async def set_attributes(self, customer_id: CustomerId, patch: dict[str, Any]) -> Customer:
        """Merge `patch` into the customer's attributes (a None value removes the key); NotFound if absent."""
        ...

    async def name_if_unnamed(self, customer_id: CustomerId, name: str) -> Customer:
        """Give a nameless customer `name` (an existing name is never overwritten); NotFound if absent."""
        ...


class ConversationStore(Protocol):
    """Conversations; a customer has at most one that is not closed."""

    async def get(self, conversation_id: ConversationId) -> Conversation:
        """The conversation, or NotFound."""
        ...

    async def current_for(self, customer_id: CustomerId) -> Conversation | None:
        """The customer's conversation that is not closed (open or resolved), if any."""
        ...

    async def create(self, conversation: Conversation) -> None:
        """Insert; Conflict if the customer already has a conversation that is not closed."""
        ...

    async def save(self, conversation: Conversation, *, expected_version: int) -> None:
        """Write back and bump `version`; Conflict if someone saved since `expected_version`."""
        ...

    async def page(self, *, after: str = "", limit: int = 500) -> list[Conversation]:
        """Every conversation in id order, `limit` at a time after id `after` (the reports backfill)."""
        ...

    async def list_for_customer(self, customer_id: CustomerId, *, limit: int = 50) -> list[Conversation]:
        """The customer's conversations, newest first."""
        ...


class MessageStore(Protocol):
    """Messages in both directions; inbound unique on (channel, account, external id),
    outbound unique on the idempotency key."""

    async def add(self, message: Message) -> bool:
        """Insert; False (and nothing written) if the same message is already stored."""
        ...

    async def get(self, message_id: MessageId) -> Message:
        """The message, or NotFound."""
        ...

    async def find_external(
        self, channel: Channel, account_id: str, direction: Direction, external_id: str
    ) -> Message | None:
        """The message a channel knows by this id."""
        ...

    async def find_by_key(self, idempotency_key: str) -> Message | None:
        """The outbound message sent under this idempotency key."""
        ...

    async def list_for_conversation(
        self, conversation_id: ConversationId, *, limit: int = 200
    ) -> list[Message]:
        """The conversation's messages, oldest first."""
        ...

    async def inbound_tally(self, conversation_id: ConversationId) -> InboundTally:
        """Counts over all of the conversation's inbound messages and the first one's text, computed by the
        database (reports refresh on every event: loading the messages would grow with the conversation)."""
        ...

    async def list_for_customer(self, customer_id: CustomerId, *, limit: int = 200) -> list[Message]:
        """The customer's most recent messages across conversations, oldest first."""
        ...

    async def set_status(
        self, message_id: MessageId, status: DeliveryStatus, *, reason: str | None = None,
        external_id: str | None = None,
    ) -> None:
        """Record a delivery status (and the channel's id for the sent message); NotFound if absent."""
        ...

    async def edit(
        self, channel: Channel, account_id: str, external_id: str, text: str, attachments: list[Attachment],
        *, at: datetime,
    ) -> Message | None:
        """Replace an inbound message's text and attachments, keeping earlier texts in `edits`;
        None if no such inbound message is stored. Unchanged content changes nothing."""
        ...

    async def last_inbound_at(self, customer_id: CustomerId, channel: Channel, account_id: str) -> datetime | None:
        """When the customer last wrote through this channel account (their latest inbound `sent_at`)."""
        ...

    async def mark_handled(self, message_id: MessageId) -> None:
        """Every follow-up of this inbound message is done; redeliveries may skip it."""
        ...

    async def claim_send(self, message_id: MessageId, claim: str, *, until: datetime, now: datetime) -> bool:
        """Take (or prolong) the right to send this pending outbound message until `until`; False if it is no
        longer pending or another `claim` holds it past `now`. Two deliveries of one key never both send."""
        ...

    async def set_nlu(self, message_id: MessageId, result: ParseResult) -> None:
        """Store the NLU reading of a message (replacing an earlier one); NotFound if absent."""
        ...

    async def list_unsure(self, *, limit: int = 200) -> list[Message]:
        """Inbound messages the NLU handed over (out of scope) or doubted (a close call), newest first."""
        ...

    async def set_corrected_topic(self, message_id: MessageId, topic: str | None) -> None:
        """Store the topic an operator corrected the message's reading to (None: no correction); NotFound if absent."""
        ...

    async def list_corrected(self, *, limit: int = 200) -> list[Message]:
        """Inbound messages whose reading an operator corrected, newest first."""
        ...

    async def count(self) -> int:
        """How many messages are stored (health, benchmarks)."""
        ...


class TokenStore(Protocol):
    """API tokens (hashes only)."""

    async def add(self, token: ApiToken) -> None:
        """Insert a new token."""
        ...

    async def get(self, token_id: str) -> ApiToken | None:
        """The token with this id, revoked or not."""
        ...

    async def list(self) -> list[ApiToken]:
        """Every token, newest first."""
        ...

    async def revoke(self, token_id: str, *, at: datetime) -> bool:
        """Mark revoked (keeps the first time); False if unknown."""
        ...


class Stores(Protocol):
    """The set of stores one backend provides, with its lifecycle."""

    @property
    def customers(self) -> CustomerStore:
        """Customers and identities."""
        ...

    @property
    def conversations(self) -> ConversationStore:
        """Conversations."""
        ...

    @property
    def messages(self) -> MessageStore:
        """Messages in both directions."""
        ...

    @property
    def cursors(self) -> CursorStore:
        """Reader positions."""
        ...

    @property
    def tokens(self) -> TokenStore:
        """API tokens."""
        ...

    @property
    def crm(self) -> CrmStore:
        """The CRM API's paged queries and customer-merge moves."""
        ...

    @property
    def webhooks(self) -> WebhookStore:
        """Outbound webhook subscriptions and deliveries."""
        ...

    @property
    def claims(self) -> ClaimStore:
        """Identity claims and the one-time codes that verify them."""
        ...

    @property
    def dialog_states(self) -> DialogStateStore:
        """The bot's compact per-conversation dialog state."""
        ...

    @property
    def inbox(self) -> InboxStore:
        """The operator inbox's queue, SLA and follow-up queries, routes and canned responses."""
        ...

    @property
    def directory(self) -> DirectoryStore:
        """Users, groups, the chain's stores, web sessions."""
        ...

    @property
    def cases(self) -> CaseStore:
        """Cases of specialist groups and stores, with their queues."""
        ...

    @property
    def privacy(self) -> PrivacyStore:
        """The audit log of reads, whole-customer reads and erasure, retention's scans."""
        ...

    async def open(self) -> None:
        """Connect and migrate (SQLite) or create indexes (MongoDB)."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...

    async def ping(self) -> None:
        """Raise Unavailable unless the backend answers."""
        ...
