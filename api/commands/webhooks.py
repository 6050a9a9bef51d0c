"""`otklik webhooks …`: subscriptions, the delivery log and replay, straight on the store.

A replay only makes deliveries due again; the running worker's dispatcher sends them within
OTKLIK_WEBHOOK_DISPATCH_INTERVAL seconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, TypeVar

import typer

from api.commands.environment import load_settings
from api.wiring import build_stores
from hub.stores.webhooks import WebhookStore
from hub.webhooks import replay as replays
from hub.webhooks import subscriptions
from models.errors import OtklikError
from models.webhooks import Delivery, WebhookStatus

app = typer.Typer(help="Outbound webhooks: subscriptions, deliveries, replay.", no_args_is_help=True)
T = TypeVar("T")


def _run(job: Callable[[WebhookStore], Awaitable[T]]) -> T:
    """Open the configured store, run `job` on its webhook store, close it; errors exit 1 with their reason."""

    async def run() -> T:
        stores = build_stores(load_settings())
        await stores.open()
        try:
            return await job(stores.webhooks)
        finally:
            await stores.close()

    try:
        return asyncio.run(run())
    except OtklikError as e:
        typer.echo(f"error: {e.reason}", err=True)
        raise typer.Exit(1) from e


@app.command()
def add(
    url: Annotated[str, typer.Option(help="The receiver's http(s) URL.")],
    event: Annotated[list[str], typer.Option(help="Event type, 'family.*' or '*'; repeat for more.")],
    secret: Annotated[str | None, typer.Option(help="whsec_… secret to sign with (generated if absent).")] = None,
    description: Annotated[str, typer.Option(help="What it is for.")] = "",
) -> None:
    """Subscribe a URL; prints its id and signing secret (also shown later by `otklik webhooks secret`)."""

    egress = load_settings().egress  # the URL must reach a public address, or one OTKLIK_OUTBOUND_ALLOW names
    created = _run(lambda store: subscriptions.create(store, url, event, secret=secret, description=description,
                                                      egress=egress))
    typer.echo(f"{created.id}\t{created.secret.get_secret_value()}")


@app.command("list")
def list_subscriptions() -> None:
    """Id, state, URL and event types of every subscription."""
    for s in _run(lambda store: store.list_subscriptions()):
        state = "active" if s.active else "off"
        typer.echo(f"{s.id}\t{state}\t{s.url}\t{','.join(s.events)}\t{s.created_at:%Y-%m-%d}")


@app.command()
def secret(subscription_id: Annotated[str, typer.Argument(help="Id from `otklik webhooks list`.")]) -> None:
    """Print a subscription's signing secret."""
    typer.echo(_run(lambda store: store.get_subscription(subscription_id)).secret.get_secret_value())


@app.command()
def remove(subscription_id: Annotated[str, typer.Argument(help="Id from `otklik webhooks list`.")]) -> None:
    """Delete a subscription (its delivery log stays)."""
    if not _run(lambda store: store.remove_subscription(subscription_id)):
        typer.echo(f"no subscription {subscription_id}", err=True)
        raise typer.Exit(1)


@app.command()
def enable(subscription_id: Annotated[str, typer.Argument(help="Id from `otklik webhooks list`.")]) -> None:
    """Switch a subscription on again (a 410 Gone from its receiver switches it off)."""
    _switch(subscription_id, True)


@app.command()
def disable(subscription_id: Annotated[str, typer.Argument(help="Id from `otklik webhooks list`.")]) -> None:
    """Switch a subscription off: no new deliveries; queued ones die (replay them later)."""
    _switch(subscription_id, False)


def _switch(subscription_id: str, active: bool) -> None:
    if not _run(lambda store: store.set_active(subscription_id, active)):
        typer.echo(f"no subscription {subscription_id}", err=True)
        raise typer.Exit(1)


@app.command()
def deliveries(
    status: Annotated[WebhookStatus | None, typer.Option(help="Only deliveries in this state.")] = None,
    subscription: Annotated[str | None, typer.Option(help="Only this subscription's deliveries.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 50,
) -> None:
    """The delivery log: id (the webhook-id), state, attempts, event, last HTTP status, latency, last error."""
    found = _run(lambda store: store.list_deliveries(status=status, subscription_id=subscription, limit=limit))
    for d in found:
        typer.echo(_line(d))


def _line(d: Delivery) -> str:
    code = "-" if d.last_status_code is None else str(d.last_status_code)
    latency = "-" if d.last_latency_ms is None else f"{d.last_latency_ms:.0f}ms"
    return (f"{d.id}\t{d.status.value}\t{d.attempts}\t{d.event_type}\t{d.subscription_id}\t"
            f"{d.created_at:%Y-%m-%d %H:%M:%S}\t{code}\t{latency}\t{d.last_error or ''}")


@app.command()
def replay(
    delivery_id: Annotated[str | None, typer.Argument(help="One delivery's id (its webhook-id).")] = None,
    since: Annotated[str | None, typer.Option(help="Range start, ISO 8601 (UTC unless it has an offset).")] = None,
    until: Annotated[str | None, typer.Option(help="Range end, exclusive.")] = None,
    subscription: Annotated[str | None, typer.Option(help="Range: only this subscription's deliveries.")] = None,
    status: Annotated[WebhookStatus | None, typer.Option(help="Range: only deliveries in this state.")] = None,
) -> None:
    """Send again one delivery, or every delivery created in [--since, --until): same webhook-id, same body."""
    if delivery_id is not None and since is None and until is None:
        done = _run(lambda store: replays.replay_one(store, delivery_id))
        typer.echo(done.id)
        return
    if delivery_id is not None or since is None or until is None:
        typer.echo("give a DELIVERY_ID, or --since and --until", err=True)
        raise typer.Exit(2)
    start, end = _instant(since, "--since"), _instant(until, "--until")
    result = _run(lambda store: replays.replay_range(store, since=start, until=end, subscription_id=subscription,
                                                      status=status))
    for replayed in result.replayed:
        typer.echo(replayed)
    for busy in result.busy:
        typer.echo(f"{busy}: being sent right now, not replayed", err=True)
    typer.echo(f"{len(result.replayed)} deliveries replayed", err=True)


def _instant(text: str, option: str) -> datetime:
    """An ISO 8601 time ('Z' or an offset, else UTC); exit 2 naming the option if it is not one."""
    try:
        at = datetime.fromisoformat(text)
    except ValueError as e:
        typer.echo(f"{option}: not an ISO 8601 time: {text!r}", err=True)
        raise typer.Exit(2) from e
    return at if at.tzinfo is not None else at.replace(tzinfo=UTC)
