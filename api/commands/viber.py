"""`otklik viber ...`: register a Viber account's webhook and read its account info.

Viber REST Bot API, "Setting a Webhook" (POST /pa/set_webhook with url, event_types, send_name,
send_photo: Viber then calls the URL once with a signed `webhook` event, which must get HTTP 200) and
"Get Account Info" (POST /pa/get_account_info). Both carry `X-Viber-Auth-Token` and answer HTTP 200 with
a `status`: 0 is success, anything else is printed and exits with code 1.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, NoReturn

import httpx
import typer

from api.commands.environment import load_settings
from connectors.viber_render import AUTH_HEADER, DEFAULT_API_BASE
from hub.settings import ChannelAccountConfig, Settings

app = typer.Typer(help="Viber accounts: register the webhook and more.", no_args_is_help=True)

# What the webhook handles; message, subscribed and unsubscribed are always sent, and webhook is the URL check.
EVENT_TYPES = ["delivered", "seen", "failed", "subscribed", "unsubscribed", "conversation_started"]

AccountOption = Annotated[str, typer.Option("--account", help="The account id in OTKLIK_ACCOUNTS.")]


@app.command("set-webhook")
def set_webhook(
    account: AccountOption,
    url: Annotated[str | None, typer.Option(help="Webhook URL (default: OTKLIK_PUBLIC_URL + /webhooks/viber/<id>).")]
    = None,
) -> None:
    """Point the Viber bot at this server's webhook, for the events Otklik handles."""
    settings = _settings()
    config = _account(settings, account)
    target = url or _default_url(settings, config.id)
    body = {"url": target, "event_types": EVENT_TYPES, "send_name": True, "send_photo": True}
    _echo(_call(settings, config, "/pa/set_webhook", body))


@app.command("account-info")
def account_info(account: AccountOption) -> None:
    """Show what Viber knows of the bot: name, URI, webhook, subscribed events, subscribers."""
    settings = _settings()
    _echo(_call(settings, _account(settings, account), "/pa/get_account_info", {}))


def _settings() -> Settings:

    return load_settings()


def _account(settings: Settings, account_id: str) -> ChannelAccountConfig:
    for config in settings.accounts:
        if config.channel == "viber" and config.id == account_id:
            return config
    known = ", ".join(a.id for a in settings.accounts if a.channel == "viber") or "none"
    typer.echo(f"no viber account {account_id!r} in OTKLIK_ACCOUNTS (configured: {known})", err=True)
    raise typer.Exit(2)


def _default_url(settings: Settings, account_id: str) -> str:
    if not settings.public_url:
        typer.echo("give --url or set OTKLIK_PUBLIC_URL (the https address Viber can reach)", err=True)
        raise typer.Exit(2)
    return f"{settings.public_url.rstrip('/')}/webhooks/viber/{account_id}"


def _call(settings: Settings, config: ChannelAccountConfig, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST to the Viber API; exit 1 with Viber's reason unless it answers status 0."""
    base = str(config.options.get("api_base") or DEFAULT_API_BASE).rstrip("/")
    headers = {AUTH_HEADER: config.token.get_secret_value()}
    try:
        with httpx.Client(timeout=settings.outbox_timeout) as client:
            response = client.post(base + path, json=body, headers=headers)
    except httpx.HTTPError as e:
        _fail(f"could not reach {base}: {type(e).__name__}: {e}")
    try:
        answer = response.json()
    except ValueError:
        _fail(f"{base}{path} answered HTTP {response.status_code} with something that is not JSON")
    if not isinstance(answer, dict):
        _fail(f"{base}{path} answered HTTP {response.status_code} with JSON that is not an object")
    if answer.get("status") != 0:
        _fail(f"viber refused {path}: status {answer.get('status')} ({answer.get('status_message')})")
    return answer


def _fail(reason: str) -> NoReturn:
    typer.echo(reason, err=True)
    raise typer.Exit(1)


def _echo(answer: dict[str, Any]) -> None:
    typer.echo(json.dumps(answer, ensure_ascii=False, indent=2))
