"""`otklik telegram ...`: register or remove a bot's webhook; `polling` runs a bot by long polling instead.

Bot API "setWebhook" (https://core.telegram.org/bots/api#setwebhook): the URL Telegram POSTs updates to,
the `secret_token` it sends back in X-Telegram-Bot-Api-Secret-Token, and the update types we read.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Annotated, Any

import typer

from api.commands.environment import load_settings
from api.wiring import build_accounts
from connectors import telegram
from hub.logs import configure_logging
from hub.settings import Settings
from models.channels import Channel, ChannelAccount
from models.errors import NotFound

app = typer.Typer(help="Telegram accounts: register the webhook and more.", no_args_is_help=True)

AccountOption = Annotated[str, typer.Option("--account", help="The Telegram account id in OTKLIK_ACCOUNTS.")]


def webhook_url(settings: Settings, account_id: str) -> str:
    """Where Telegram should POST this bot's updates: OTKLIK_PUBLIC_URL + /webhooks/telegram/<id>."""
    if not settings.public_url:
        raise ValueError("set OTKLIK_PUBLIC_URL (or pass --url) so Telegram knows where to send updates")
    return f"{settings.public_url.rstrip('/')}/webhooks/telegram/{account_id}"


def find_account(settings: Settings, account_id: str) -> ChannelAccount:
    """The configured Telegram account, checked like at start-up; ValueError names what is wrong."""
    try:
        return next(a for a in build_accounts(settings) if a.channel is Channel.TELEGRAM and a.id == account_id)
    except StopIteration:
        raise ValueError(f"no Telegram account {account_id!r} in OTKLIK_ACCOUNTS") from None


async def set_webhook(account: ChannelAccount, url: str) -> None:
    """Tell Telegram the webhook URL, its secret token and the update types we read."""
    bot = telegram.make_bot(account)
    try:
        await bot.set_webhook(url=url, secret_token=account.secret(telegram.WEBHOOK_SECRET),
                              allowed_updates=telegram.ALLOWED_UPDATES)
    finally:
        await bot.session.close()


async def delete_webhook(account: ChannelAccount) -> None:
    """Remove the webhook (updates wait at Telegram, for getUpdates or the next webhook)."""
    bot = telegram.make_bot(account)
    try:
        await bot.delete_webhook()
    finally:
        await bot.session.close()


def _settings() -> Settings:

    return load_settings()


def _run_or_exit(action: str, work: Coroutine[Any, Any, None]) -> None:
    from aiogram.exceptions import AiogramError  # here: aiogram takes seconds to import, `otklik --help` should not

    try:
        asyncio.run(work)
    except AiogramError as e:
        typer.echo(f"{action} failed: {e}", err=True)
        raise typer.Exit(1) from e


@app.command("set-webhook")
def set_webhook_command(
    account: AccountOption,
    url: Annotated[str | None, typer.Option(help="Webhook URL (default: OTKLIK_PUBLIC_URL/webhooks/telegram/<id>).")]
    = None,
) -> None:
    """Register the bot's webhook with Telegram, with its secret token."""
    settings = _settings()
    try:
        chosen = find_account(settings, account)
        target = url or webhook_url(settings, account)
    except ValueError as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(2) from e
    _run_or_exit("setWebhook", set_webhook(chosen, target))
    typer.echo(f"webhook of {account!r} set to {target}")


@app.command("delete-webhook")
def delete_webhook_command(account: AccountOption) -> None:
    """Remove the bot's webhook (for long polling, or to stop receiving updates)."""
    try:
        chosen = find_account(_settings(), account)
    except ValueError as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(2) from e
    _run_or_exit("deleteWebhook", delete_webhook(chosen))
    typer.echo(f"webhook of {account!r} removed")


def polling(
    account: Annotated[str | None, typer.Option(help="Telegram account id (default: the only one configured).")]
    = None,
    polling: Annotated[bool, typer.Option("--polling", help="Long-poll getUpdates (removes the webhook).")] = False,
) -> None:
    """Run a Telegram bot by long polling, for development: no public URL needed. Stops on Ctrl-C."""
    if not polling:
        typer.echo("otklik bot telegram needs --polling (in production Telegram calls the webhook of "
                   "`otklik serve`)", err=True)
        raise typer.Exit(2)
    from aiogram.exceptions import AiogramError

    from api.telegram_polling import serve_polling

    settings = _settings()
    configure_logging(settings.log_level, as_json=settings.log_json)
    try:
        asyncio.run(serve_polling(settings, account))
    except (ValueError, NotFound) as e:
        typer.echo(str(e), err=True)
        raise typer.Exit(2) from e
    except AiogramError as e:
        typer.echo(f"telegram polling stopped: {e}", err=True)
        raise typer.Exit(1) from e
