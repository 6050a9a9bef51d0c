"""Voice connector — being written for issue 4 (placeholder so the registry imports)."""

from __future__ import annotations

from connectors.base import Sender, SenderContext
from models.channels import ChannelAccount


def check_account(account: ChannelAccount) -> None:
    """ValueError naming what the account's configuration lacks."""
    raise ValueError(f"voice accounts are not supported yet ({account.id})")


def build_sender(account: ChannelAccount, ctx: SenderContext) -> Sender:
    """The account's sender."""
    raise NotImplementedError("voice sender")
